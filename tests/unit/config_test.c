/* config_test.c -- cdsyncd.conf: every setting read, the defaults, and
 * each bad line refused with the file, the line and the reason (the
 * defaults then stand). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "testutil.h"

static const char *
conf(const char *text)
{
	static char path[600];

	snprintf(path, sizeof path, "%s", tu_path(tu_tmpdir(), "cdsyncd.conf"));
	tu_write(path, text, strlen(text));
	return path;
}

static void
test_every_setting_is_read(void **st)
{
	struct cdsd_config c;
	char err[512];
	int found;

	(void)st;
	assert_int_equal(cdsd_config_read(conf("# a hub\n"
					       "listen = 127.0.0.1:8440\n"
					       "upstream = http://10.0.0.2:8440/\n"
					       "  interval=5  # often\n"
					       "backoff_base = 3\nbackoff_cap = 90\n"
					       "chunk = 131072\ntimeout = 60\n"
					       "max_upload = 1048576\n"
					       "connection_limit = 10\n"
					       "per_ip_limit = 2\nidle_timeout = 7\n"
					       "request_timeout = 70\n\nlog = debug\n"
					       "lan = tcp://0.0.0.0:7420 \t "
					       "ipc:///run/cdsync/lan\n"
					       "root_fingerprint = 0R97-8ZZH-71AF-N9ZV\n"
					       "rollup_at = 23:45\n"),
					  &c, &found, err, sizeof err),
			 0);
	assert_int_equal(found, 1);
	assert_string_equal(c.listen_addr, "127.0.0.1");
	assert_int_equal(c.listen_port, 8440);
	assert_string_equal(c.upstream, "http://10.0.0.2:8440/");
	assert_int_equal(c.interval, 5);
	assert_int_equal(c.backoff_base, 3);
	assert_int_equal(c.backoff_cap, 90);
	assert_int_equal(c.chunk, 131072);
	assert_int_equal(c.timeout, 60);
	assert_int_equal(c.max_upload, 1048576);
	assert_int_equal(c.connection_limit, 10);
	assert_int_equal(c.per_ip_limit, 2);
	assert_int_equal(c.idle_timeout, 7);
	assert_int_equal(c.request_timeout, 70);
	assert_int_equal(c.level, CDSD_DEBUG);
	assert_int_equal(c.nlan, 2);
	assert_string_equal(c.lan[0], "tcp://0.0.0.0:7420");
	assert_string_equal(c.lan[1], "ipc:///run/cdsync/lan");
	assert_string_equal(c.root_fingerprint, "0R97-8ZZH-71AF-N9ZV");
	assert_int_equal(c.rollup_at, 23 * 60 + 45);
	assert_int_equal(cdsd_config_read(conf("rollup_at = off\n"), &c,
					  &found, err, sizeof err),
			 0);
	assert_int_equal(c.rollup_at, -1);
	assert_int_equal(cdsd_config_read(conf("# nothing\n"), &c, &found,
					  err, sizeof err),
			 0);
	assert_int_equal(c.rollup_at, 2 * 60);
	assert_int_equal(cdsd_config_read(conf("listen = [::1]:0\n"), &c,
					  &found, err, sizeof err),
			 0);
	assert_string_equal(c.listen_addr, "::1");
	assert_int_equal(c.listen_port, 0);
	/* no file: the defaults */
	assert_int_equal(cdsd_config_read(tu_path(tu_tmpdir(), "none"), &c,
					  &found, err, sizeof err),
			 0);
	assert_int_equal(found, 0);
	assert_int_equal(c.interval, 60);
	assert_int_equal(c.listen_addr[0], '\0');
	tu_cleanup();
}

static void
test_a_bad_line_is_refused_with_its_place(void **st)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "interval = 0\n", "line 1: interval = 0: not a whole number "
				    "in the allowed range" },
		{ "\n\ninterval = 5s\n", "line 3: interval = 5s: not a whole "
					  "number in the allowed range" },
		{ "listen = 127.0.0.1\n", "line 1: listen = 127.0.0.1: write an "
					  "address and a port, like "
					  "127.0.0.1:8440" },
		{ "listen = 127.0.0.1:70000\n", "line 1: listen = "
						"127.0.0.1:70000: write an "
						"address and a port, like "
						"127.0.0.1:8440" },
		{ "upstream = ftp://x/\n", "line 1: upstream = ftp://x/: write "
					   "the upper hub's address, like "
					   "http://10.0.0.2:8440/" },
		{ "log = loud\n", "line 1: log = loud: write debug, info, warn "
				  "or error" },
		{ "lan = tcp://0.0.0.0\n", "line 1: lan = tcp://0.0.0.0: write "
					    "up to 4 addresses, like "
					    "tcp://0.0.0.0:7420 or "
					    "ipc:///run/cdsync/lan" },
		{ "lan = http://x:1\n", "line 1: lan = http://x:1: write up to "
					 "4 addresses, like tcp://0.0.0.0:7420 "
					 "or ipc:///run/cdsync/lan" },
		{ "lan = ipc://a ipc://b ipc://c ipc://d ipc://e\n",
		  "line 1: lan = ipc://a ipc://b ipc://c ipc://d ipc://e: "
		  "write up to 4 addresses, like tcp://0.0.0.0:7420 or "
		  "ipc:///run/cdsync/lan" },
		{ "root_fingerprint = 0R97-8ZZH-71AF\n",
		  "line 1: root_fingerprint = 0R97-8ZZH-71AF: write the national "
		  "root's fingerprint, like 0R97-8ZZH-71AF-N9ZV" },
		{ "rollup_at = 24:00\n", "line 1: rollup_at = 24:00: write a "
					   "time of day, like 02:00, or off" },
		{ "rollup_at = 2:00\n", "line 1: rollup_at = 2:00: write a time "
					  "of day, like 02:00, or off" },
		{ "intervall = 5\n", "line 1: intervall = 5: unknown setting" },
		{ "interval 5\n", "line 1: write \"key = value\"" },
	};
	struct cdsd_config c;
	char err[512], want[700];
	const char *path;
	size_t i;
	int found;

	(void)st;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		path = conf(bad[i].text);
		assert_int_equal(cdsd_config_read(path, &c, &found, err,
						  sizeof err),
				 -1);
		snprintf(want, sizeof want, "%s %s", path, bad[i].why);
		assert_string_equal(err, want);
		assert_int_equal(c.interval, 60);	/* the defaults */
	}
	tu_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_setting_is_read),
		cmocka_unit_test(test_a_bad_line_is_refused_with_its_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
