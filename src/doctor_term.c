/*
 * doctor_term.c - the one terminfo question `doctor` asks (how many
 * colours), kept apart because <term.h> defines macros such as `lines` and
 * `columns` that would clash with ordinary names elsewhere.
 *
 * It never writes to the terminal and leaves no terminfo state behind.
 */
#include "kigo/doctor.h"

#include <curses.h>
#include <term.h>

int
kg_doctor_term_colors(int fd)
{
	TERMINAL *before = cur_term;
	int err = 0, n;

	if (setupterm(NULL, fd, &err) != OK)
		return -2;
	n = tigetnum("colors");
	del_curterm(cur_term);
	set_curterm(before);
	return n < 0 ? -1 : n;
}
