/*
 * fuzz.h - shared bits of the libFuzzer targets: the first input byte picks
 * the decoder, the rest is the body, handed over as its own allocation so
 * ASan sees every read past its end.
 */
#ifndef KIGO_FUZZ_H
#define KIGO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated private copy of data[0..size). */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

#endif
