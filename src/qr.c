/*
 * qr.c - render a QR code (libqrencode) as text with half blocks.
 *
 * Each text row stands for two module rows: the upper half block shows the
 * upper module, the lower half block the lower one.  Never prints and
 * never decides whether the terminal can show it: that is the caller's.
 */
#include "kigo/qr.h"

#include "kigo/buf.h"

#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#define UPPER "\xe2\x96\x80" /* ▀ */
#define LOWER "\xe2\x96\x84" /* ▄ */
#define FULL "\xe2\x96\x88"  /* █ */

/* Is the module at (x, y) of the padded symbol drawn as ink? */
static bool
ink(const QRcode *qr, int quiet, int flags, int x, int y)
{
	int w = qr->width;
	bool dark;

	x -= quiet;
	y -= quiet;
	if (x < 0 || y < 0 || x >= w || y >= w)
		dark = false;
	else
		dark = (qr->data[y * w + x] & 1) != 0;
	return (flags & KG_QR_DARK_BLOCKS) ? dark : !dark;
}

enum kg_err
kg_qr_render(const char *text, int quiet, int flags, struct kg_qr *out, char **cause)
{
	QRcode *qr;
	struct kg_buf b;
	int size, x, y;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (kg_str_empty(text)) {
		kg_set_cause(cause, "nothing to encode in the QR code");
		return KG_ERR_BAD_INPUT;
	}
	if (quiet < 0)
		quiet = 0;
	errno = 0;
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (qr == NULL) {
		kg_set_cause(cause, "the text cannot be drawn as a QR code (%zu bytes%s)",
		             strlen(text), errno == ERANGE ? ", too long" : "");
		return KG_ERR_BAD_INPUT;
	}
	size = qr->width + 2 * quiet;
	out->modules = qr->width;
	out->width = size;
	out->n = (size_t)(size + 1) / 2;
	out->lines = kg_xcalloc(out->n, sizeof(char *));
	for (i = 0, y = 0; y < size; y += 2, i++) {
		kg_buf_init(&b, 0);
		for (x = 0; x < size; x++) {
			bool top = ink(qr, quiet, flags, x, y);
			/* an odd height: the half row below is the terminal's own */
			bool bot = y + 1 < size && ink(qr, quiet, flags, x, y + 1);
			(void)kg_buf_puts(&b, top && bot ? FULL : top ? UPPER : bot ? LOWER : " ");
		}
		out->lines[i] = kg_buf_steal(&b);
	}
	QRcode_free(qr);
	return KG_ERR_OK;
}

void
kg_qr_clear(struct kg_qr *qr)
{
	size_t i;

	for (i = 0; i < qr->n; i++)
		free(qr->lines[i]);
	free(qr->lines);
	memset(qr, 0, sizeof(*qr));
}
