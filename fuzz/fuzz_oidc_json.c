/* libFuzzer: every OpenID Connect decoder (discovery, device, token, error, id_token, stored). */
#include "fuzz.h"

#include "kigo/oidc_json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body, *cause = NULL;
	size_t len;

	if (size < 1)
		return 0;
	body = fuzz_copy(data + 1, size - 1);
	len = size - 1;
	switch (data[0] % 6) {
	case 0: {
		struct kg_oidc_discovery d = { 0 };
		kg_oidc_parse_discovery(body, len, &d, &cause);
		kg_oidc_discovery_clear(&d);
		break;
	}
	case 1: {
		struct kg_oidc_device d = { 0 };
		kg_oidc_parse_device(body, len, &d, &cause);
		kg_oidc_device_clear(&d);
		break;
	}
	case 2: {
		struct kg_oidc_token t = { 0 };
		kg_oidc_parse_token(body, len, &t, &cause);
		kg_oidc_token_clear(&t);
		break;
	}
	case 3: {
		struct kg_oidc_error e = { 0 };
		kg_oidc_parse_error(body, len, &e, &cause);
		kg_oidc_error_clear(&e);
		break;
	}
	case 4: {
		struct kg_oidc_claims c = { 0 };
		kg_oidc_parse_id_token(body, &c, &cause);
		kg_oidc_claims_clear(&c);
		break;
	}
	default: {
		struct kg_oidc_stored s = { 0 };
		char *again;
		if (kg_oidc_parse_stored(body, len, &s, &cause) == KG_ERR_OK) {
			again = kg_oidc_format_stored(&s);
			kg_secret_free(&again);
		}
		kg_oidc_stored_clear(&s);
		break;
	}
	}
	free(cause);
	free(body);
	return 0;
}
