/*
 * libFuzzer: the TICKET and launch-URL parser.  Whatever it accepts must be
 * a valid number or sys_id, and its refusal must not echo a control byte.
 */
#include "fuzz.h"

#include "kigo/ticket.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kg_ticket_ref t = { 0 };
	char *arg = fuzz_copy(data, size), *cause = NULL;

	if (kg_ticket_parse(arg, &t, &cause) == KG_ERR_OK) {
		if (!(t.number != NULL ? kg_ticket_is_number(t.number)
		                       : t.sys_id != NULL && kg_ticket_is_sys_id(t.sys_id)))
			abort();
	} else if (cause != NULL) {
		for (const unsigned char *p = (const unsigned char *)cause; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				abort();
	}
	kg_ticket_ref_clear(&t);
	free(cause);
	free(arg);
	return 0;
}
