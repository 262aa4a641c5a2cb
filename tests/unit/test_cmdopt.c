/*
 * cmdopt.c: --config, --policy, --no-defaults and --state-dir mean the same
 * in every command. The environment fills in what the command line leaves
 * out, an empty --config is the built-in configuration, and --policy
 * keeps every file, in order (watch stopped at 32).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmdopt.h"
#include "policy.h"

static void
test_config_precedence(void **state)
{
	struct cmdopt	po;

	cmdopt_init(&po);
	unsetenv("BREAKER_CONFIG");
	assert_null(cmdopt_config(&po));
	setenv("BREAKER_CONFIG", "", 1);
	assert_null(cmdopt_config(&po));	/* empty: unset */
	setenv("BREAKER_CONFIG", "/env.json", 1);
	assert_string_equal(cmdopt_config(&po), "/env.json");
	assert_int_equal(cmdopt_option(&po, 'c', "/opt.json"), 1);
	assert_string_equal(cmdopt_config(&po), "/opt.json");
	assert_int_equal(cmdopt_option(&po, 'c', ""), 1);
	assert_null(cmdopt_config(&po));	/* --config '': built-in */
	unsetenv("BREAKER_CONFIG");
	cmdopt_clear(&po);
}

static void
test_state_dir_precedence(void **state)
{
	struct cmdopt	po;

	cmdopt_init(&po);
	setenv("BREAKER_STATE_DIR", "", 1);
	assert_null(cmdopt_state_dir(&po));
	setenv("BREAKER_STATE_DIR", "/env", 1);
	assert_string_equal(cmdopt_state_dir(&po), "/env");
	assert_int_equal(cmdopt_option(&po, 's', "/opt"), 1);
	cmdopt_clear(&po);			/* frees the rules only */
	assert_string_equal(cmdopt_state_dir(&po), "/opt");
	unsetenv("BREAKER_STATE_DIR");
}

static void
test_rules_in_order(void **state)
{
	struct cmdopt	 po;
	char		 name[40][16];
	size_t		 i;

	cmdopt_init(&po);
	for (i = 0; i < 40; i++) {
		snprintf(name[i], sizeof name[i], "r%zu.json", i);
		assert_int_equal(cmdopt_option(&po, 'p', name[i]), 1);
	}
	assert_int_equal(po.nrules, 40);
	for (i = 0; i < 40; i++)
		assert_string_equal(po.rules[i], name[i]);
	assert_int_equal(cmdopt_option(&po, 'n', NULL), 1);
	assert_true(po.no_defaults);
	assert_int_equal(cmdopt_option(&po, 'x', "?"), 0);	/* not ours */
	cmdopt_clear(&po);
	assert_null(po.rules);
	assert_int_equal(po.nrules, 0);
}

/* The loader takes the environment's configuration, and its errors. */
static void
test_policy_from_env(void **state)
{
	char		 path[] = "/tmp/breaker-cmdopt-XXXXXX";
	struct cmdopt	 po;
	struct policy	*p;
	char		*errors = NULL;
	FILE		*f;
	int		 fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("{\"version\": 1, \"mode\": \"loud\"}\n", f);
	fclose(f);
	cmdopt_init(&po);
	setenv("BREAKER_CONFIG", path, 1);
	assert_null(p = cmdopt_policy(&po, &errors));
	assert_non_null(errors);
	assert_non_null(strstr(errors, "unknown mode"));
	free(errors);
	errors = NULL;
	cmdopt_option(&po, 'c', "");
	assert_non_null(p = cmdopt_policy(&po, &errors));
	policy_free(p);
	free(errors);
	unsetenv("BREAKER_CONFIG");
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_precedence),
		cmocka_unit_test(test_state_dir_precedence),
		cmocka_unit_test(test_rules_in_order),
		cmocka_unit_test(test_policy_from_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
