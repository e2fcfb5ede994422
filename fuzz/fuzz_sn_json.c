/* libFuzzer: the ServiceNow decoders (ticket list and record, user, journal, error). */
#include "fuzz.h"

#include "kigo/sn_json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body, *cause = NULL, *msg = NULL, *detail = NULL;
	size_t len, n = 0;

	if (size < 1)
		return 0;
	body = fuzz_copy(data + 1, size - 1);
	len = size - 1;
	switch (data[0] % 5) {
	case 0: {
		struct kg_ticket *v = NULL;
		kg_sn_json_tickets(body, len, "incident", &v, &n, &cause);
		kg_sn_tickets_free(&v, n);
		break;
	}
	case 1: {
		struct kg_ticket t = { 0 };
		kg_sn_json_ticket(body, len, "incident", &t, &cause);
		kg_ticket_clear(&t);
		break;
	}
	case 2: {
		struct kg_user u = { 0 };
		kg_sn_json_user(body, len, &u, &cause);
		kg_user_clear(&u);
		break;
	}
	case 3: {
		struct kg_sn_journal_entry *v = NULL;
		kg_sn_json_journal(body, len, &v, &n, &cause);
		kg_sn_journal_free(&v, n);
		break;
	}
	default:
		kg_sn_json_error(body, len, &msg, &detail);
		break;
	}
	free(msg);
	free(detail);
	free(cause);
	free(body);
	return 0;
}
