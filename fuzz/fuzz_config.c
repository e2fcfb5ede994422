/* libFuzzer: the configuration file parser. */
#include "fuzz.h"

#include "kigo/config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kg_config cfg = { 0 };
	char *text = fuzz_copy(data, size), *cause = NULL;

	kg_config_parse(&cfg, "fuzz.conf", text, size, &cause);
	kg_config_clear(&cfg);
	free(cause);
	free(text);
	return 0;
}
