/* cmd_tui.c - `kigo-tui TICKET`.  Placeholder until the screen lands. */
#include "kigo/cmd.h"

int
kg_cmd_tui(const struct kg_cli *cli, const struct kg_config *cfg, const struct kg_ticket_ref *t)
{
	(void)cli, (void)cfg, (void)t;
	return kg_cmd_unavailable("tui");
}
