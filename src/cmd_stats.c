/* cmd_stats.c - `kigo-tui stats`.  Placeholder until its feature lands. */
#include "kigo/cmd.h"

int
kg_cmd_stats(const struct kg_cli *cli, const struct kg_config *cfg)
{
	(void)cli;
	(void)cfg;
	return kg_cmd_unavailable("stats");
}
