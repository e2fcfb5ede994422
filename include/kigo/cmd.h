/*
 * cmd.h - what main() dispatches to: one function per command, each in its
 * own file (src/cmd_NAME.c), each returning the process exit status
 * (sysexits(3), see enum kg_exit).
 *
 * By the time one is called the command line is valid, the TICKET (for the
 * full-screen client) has been checked and the configuration is loaded.
 */
#ifndef KIGO_CMD_H
#define KIGO_CMD_H

#include "kigo/cli.h"
#include "kigo/config.h"
#include "kigo/ticket.h"

/* kigo-tui TICKET: the full-screen client. */
int kg_cmd_tui(const struct kg_cli *cli, const struct kg_config *cfg,
               const struct kg_ticket_ref *ticket);
int kg_cmd_login(const struct kg_cli *cli, const struct kg_config *cfg);
int kg_cmd_logout(const struct kg_cli *cli, const struct kg_config *cfg);
int kg_cmd_status(const struct kg_cli *cli, const struct kg_config *cfg);
int kg_cmd_sync(const struct kg_cli *cli, const struct kg_config *cfg);
int kg_cmd_doctor(const struct kg_cli *cli, const struct kg_config *cfg);
int kg_cmd_stats(const struct kg_cli *cli, const struct kg_config *cfg);

#endif
