/*
 * qr.h - a QR code as lines of text, two modules per character cell row
 * with the Unicode half blocks (U+2580, U+2584, U+2588).
 *
 * Pure: no terminal, no I/O.  Used by the login screen inside the client
 * and by the `login` command.  Only for UTF-8 terminals; callers print no
 * QR code otherwise.
 */
#ifndef KIGO_QR_H
#define KIGO_QR_H

#include "kigo/common.h"

enum kg_qr_flags {
	/*
	 * Default: light modules are drawn as blocks, which reads right on the
	 * usual light-text-on-dark terminal.  KG_QR_DARK_BLOCKS draws the dark
	 * modules as blocks instead (dark text on a light background).
	 */
	KG_QR_DARK_BLOCKS = 1 << 0,
};

struct kg_qr {
	char **lines;   /* UTF-8, each `width` cells wide */
	size_t n;       /* number of lines: (modules + 2 * quiet + 1) / 2 */
	int width;      /* cells per line: modules + 2 * quiet */
	int modules;    /* QR symbol size (21 for version 1) */
};

/*
 * Encode text (byte mode, error correction level M) with a quiet zone of
 * `quiet` modules on every side (the standard asks for 4; 2 scans fine on
 * screens).  KG_ERR_BAD_INPUT when the text is empty or too long for a QR
 * code, with *cause saying so.
 */
enum kg_err kg_qr_render(const char *text, int quiet, int flags, struct kg_qr *out, char **cause);
void kg_qr_clear(struct kg_qr *qr);

#endif
