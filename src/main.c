/*
 * main.c - entry point.  Placeholder until the command line lands (issue 2).
 */
#include "kigo/common.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("kigo-tui %s\n", KG_VERSION);
		return 0;
	}
	fputs("kigo-tui: not yet\n", stderr);
	return KG_EXIT_SOFTWARE;
}
