/* libFuzzer: every Kigo token API decoder (resources, pages, results, error). */
#include "fuzz.h"

#include "kigo/kigo_json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body, *cause = NULL, *next = NULL;
	size_t len, n = 0;

	if (size < 1)
		return 0;
	body = fuzz_copy(data + 1, size - 1);
	len = size - 1;
	switch (data[0] % 11) {
	case 0: {
		struct kg_customer c = { 0 };
		kg_kigo_json_customer(body, len, &c, &cause);
		kg_customer_clear(&c);
		break;
	}
	case 1: {
		struct kg_catalog_item c = { 0 };
		kg_kigo_json_catalog_item(body, len, &c, &cause);
		kg_catalog_item_clear(&c);
		break;
	}
	case 2: {
		struct kg_token t = { 0 };
		kg_kigo_json_token(body, len, &t, &cause);
		kg_token_clear(&t);
		break;
	}
	case 3: {
		struct kg_activity a = { 0 };
		kg_kigo_json_activity(body, len, &a, &cause);
		kg_activity_clear(&a);
		break;
	}
	case 4: {
		struct kg_customer *v = NULL;
		kg_kigo_json_customers_page(body, len, &v, &n, &next, &cause);
		kg_customers_free(&v, n);
		break;
	}
	case 5: {
		struct kg_catalog_item *v = NULL;
		kg_kigo_json_catalog_page(body, len, &v, &n, &next, &cause);
		kg_catalog_free(&v, n);
		break;
	}
	case 6: {
		struct kg_token *v = NULL;
		kg_kigo_json_tokens_page(body, len, &v, &n, &next, &cause);
		kg_tokens_free(&v, n);
		break;
	}
	case 7: {
		struct kg_activity *v = NULL;
		kg_kigo_json_activity_page(body, len, &v, &n, &next, &cause);
		kg_activities_free(&v, n);
		break;
	}
	case 8: {
		struct kg_token t = { 0 };
		struct kg_activity a = { 0 };
		kg_kigo_json_token_result(body, len, &t, &a, &cause);
		kg_token_clear(&t);
		kg_activity_clear(&a);
		break;
	}
	case 9: {
		struct kg_customer c = { 0 };
		struct kg_activity a = { 0 };
		kg_kigo_json_customer_result(body, len, &c, &a, &cause);
		kg_customer_clear(&c);
		kg_activity_clear(&a);
		break;
	}
	default: {
		struct kg_kigo_json_error e = { 0 };
		kg_kigo_json_error(body, len, &e, &cause);
		kg_kigo_json_error_clear(&e);
		break;
	}
	}
	free(next);
	free(cause);
	free(body);
	return 0;
}
