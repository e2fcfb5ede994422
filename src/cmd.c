/*
 * cmd.c - small helpers shared by the command functions of src/cmd_*.c.
 *
 * Nothing here may read the configuration or touch the network: each
 * command does its own work, this only keeps their edges alike.
 */
#include "kigo/cmd.h"

#include <stdio.h>

int
kg_cmd_unavailable(const char *name)
{
	fprintf(stderr, "kigo-tui: %s: not available in this build yet\n", name);
	return KG_EXIT_SOFTWARE;
}
