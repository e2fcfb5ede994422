/*
 * vg_canary.c - a deliberately faulty program for scripts/valgrind.sh's
 * self-test (test-only, never part of kigo-tui).  Each mode commits one
 * kind of error valgrind must report through the same wrapper and log
 * check the real binary runs under; if any goes unseen, `make valgrind`
 * fails, because a silent wrapper would make every green run meaningless.
 *
 *   vg_canary leak|invalid|uninit|clean
 *
 * Built by the script with -O0 -w so the compiler keeps every fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile keep;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "clean";

	if (strcmp(mode, "leak") == 0) {
		keep = malloc(64);
		memset(keep, 1, 64);
		keep = NULL; /* definitely lost */
	} else if (strcmp(mode, "invalid") == 0) {
		char *p = malloc(8);
		volatile char c = p[8]; /* one past the block: invalid read */
		(void)c;
		free(p);
	} else if (strcmp(mode, "uninit") == 0) {
		int *p = malloc(sizeof *p);
		if (*p == 42) /* conditional jump on uninitialised memory */
			puts("42");
		free(p);
	}
	return 0;
}
