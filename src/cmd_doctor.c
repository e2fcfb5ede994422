/*
 * cmd_doctor.c - `kigo-tui doctor`: run the checks of doctor.c, print one
 * line each, exit 0 only when all pass (see kg_doctor_exit_code).
 */
#include "kigo/cmd.h"

#include <stdio.h>

#include "kigo/doctor.h"

int
kg_cmd_doctor(const struct kg_cli *cli, const struct kg_config *cfg)
{
	struct kg_doctor_opts opts = { .tty_fd = -1 };
	struct kg_doctor_report rep;
	int rc;

	(void)cli;
	kg_doctor_run(cfg, &opts, &rep);
	kg_doctor_print(&rep, stdout);
	fflush(stdout);
	rc = kg_doctor_exit_code(&rep);
	kg_doctor_report_clear(&rep);
	return rc;
}
