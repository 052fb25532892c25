/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/ctlproto: every field of a request, every refusal with
 * its message, requests cut at every length, and the answers' exact bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl_ctlproto.h"

static int
parse(const char *line, struct sl_ctl_request *rq, const char **err)
{
	/* exactly sized, not NUL-terminated: ASan catches a read past it */
	size_t n = strlen(line);
	char *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, line, n);
	rc = sl_ctlproto_parse(copy, n, rq, err);
	free(copy);
	return rc;
}

static void
expect_refused(const char *line, const char *msg)
{
	struct sl_ctl_request rq;
	const char *err = NULL;

	assert_int_equal(parse(line, &rq, &err), -EINVAL);
	assert_non_null(err);
	assert_string_equal(err, msg);
}

static void
test_ping(void **state)
{
	struct sl_ctl_request rq;
	const char *err;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"ping\"}", &rq, &err), 0);
	assert_int_equal(rq.cmd, SL_CTL_PING);
	/* a ping needs nothing else, and ignores what is there */
	assert_int_equal(parse("{\"cmd\":\"ping\",\"src_ip\":5}", &rq, &err), 0);
	/* reload-rules needs nothing else either */
	assert_int_equal(parse("{\"cmd\":\"reload-rules\"}", &rq, &err), 0);
	assert_int_equal(rq.cmd, SL_CTL_RELOAD_RULES);
}

static void
test_bypass_every_field(void **state)
{
	static const uint8_t s4[4] = { 10, 0, 0, 1 }, d4[4] = { 10, 0, 0, 2 };
	struct sl_ctl_request rq;
	const char *err;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"bypass\",\"proto\":\"TCP\",\"src_ip\":\"10.0.0.1\","
			       "\"src_port\":1234,\"dest_ip\":\"10.0.0.2\",\"dest_port\":80,"
			       "\"vlan\":[100,200],\"tunnel_id\":4294967295,\"ttl\":1.5,"
			       "\"comment\":\"ignored\"}", &rq, &err), 0);
	assert_int_equal(rq.cmd, SL_CTL_BYPASS);
	assert_int_equal(rq.family, 4);
	assert_int_equal(rq.proto, 6);
	assert_memory_equal(rq.src, s4, 4);
	assert_memory_equal(rq.dst, d4, 4);
	assert_int_equal(rq.sport, 1234);
	assert_int_equal(rq.dport, 80);
	assert_true(rq.has_vlan);
	assert_int_equal(rq.n_vlan, 2);
	assert_int_equal(rq.vlan[0], 100);
	assert_int_equal(rq.vlan[1], 200);
	assert_true(rq.has_tunnel_id);
	assert_int_equal(rq.tunnel_id, UINT32_MAX);
	assert_true(rq.has_ttl);
	assert_true(rq.ttl == 1.5);

	assert_int_equal(parse("{\"cmd\":\"unbypass\",\"proto\":58,\"src_ip\":\"2001:db8::1\","
			       "\"dest_ip\":\"::ffff:1.2.3.4\",\"vlan\":7}", &rq, &err), 0);
	assert_int_equal(rq.cmd, SL_CTL_UNBYPASS);
	assert_int_equal(rq.family, 6);
	assert_int_equal(rq.proto, 58);
	assert_int_equal(rq.src[0], 0x20);
	assert_int_equal(rq.dst[15], 4);
	assert_int_equal(rq.sport, 0);
	assert_true(rq.has_vlan && rq.n_vlan == 1 && rq.vlan[0] == 7);
	assert_false(rq.has_tunnel_id);
	assert_false(rq.has_ttl);
	/* an empty vlan list: untagged, said explicitly */
	assert_int_equal(parse("{\"cmd\":\"bypass\",\"proto\":\"icmp6\",\"src_ip\":\"::1\","
			       "\"dest_ip\":\"::2\",\"vlan\":[]}", &rq, &err), 0);
	assert_true(rq.has_vlan && rq.n_vlan == 0);
	assert_int_equal(parse("{\"cmd\":\"bypass\",\"proto\":\"ipv6-icmp\",\"src_ip\":\"::1\","
			       "\"dest_ip\":\"::2\"}", &rq, &err), 0);
	assert_int_equal(rq.proto, 58);
	assert_false(rq.has_vlan);
}

static void
test_refusals(void **state)
{
	(void)state;
	expect_refused("", "request is not a JSON object");
	expect_refused("[1,2]", "request is not a JSON object");
	expect_refused("{\"cmd\":\"ping\"} {}", "request is not a JSON object");
	expect_refused("{\"cmd\":\"ping\",\"cmd\":\"ping\"}", "request is not a JSON object");
	expect_refused("{\"cmd\":\"reboot\"}", "cmd must be bypass, unbypass, reload-rules or ping");
	expect_refused("{\"cmd\":7}", "cmd must be bypass, unbypass, reload-rules or ping");
	expect_refused("{}", "cmd must be bypass, unbypass, reload-rules or ping");
#define B "{\"cmd\":\"bypass\","
	expect_refused(B "\"dest_ip\":\"1.1.1.1\",\"proto\":6}", "missing or non-string address");
	expect_refused(B "\"src_ip\":\"1.1.1.300\",\"dest_ip\":\"1.1.1.1\",\"proto\":6}",
		       "not an IPv4 or IPv6 address");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"::1\",\"proto\":6}",
		       "src_ip and dest_ip are of different families");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\"}",
		       "proto must be tcp, udp, sctp, icmp, icmp6 or 0..255");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":256}",
		       "proto must be tcp, udp, sctp, icmp, icmp6 or 0..255");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":\"gre\"}",
		       "proto must be tcp, udp, sctp, icmp, icmp6 or 0..255");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"src_port\":65536}", "port must be an integer 0..65535");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"dest_port\":\"80\"}", "port must be an integer 0..65535");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"vlan\":0}", "vlan must be 1..4094 or a list of up to two");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"vlan\":[1,2,3]}", "vlan must be 1..4094 or a list of up to two");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"vlan\":[4095]}", "vlan must be 1..4094 or a list of up to two");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"vlan\":\"100\"}", "vlan must be 1..4094 or a list of up to two");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"tunnel_id\":-1}", "tunnel_id must be an integer 0..4294967295");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"tunnel_id\":4294967296}", "tunnel_id must be an integer 0..4294967295");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"ttl\":0}", "ttl must be a number of seconds > 0");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"ttl\":1e300}", "ttl must be a number of seconds > 0");
	expect_refused(B "\"src_ip\":\"1.1.1.1\",\"dest_ip\":\"1.1.1.2\",\"proto\":6,"
		       "\"ttl\":\"60\"}", "ttl must be a number of seconds > 0");
#undef B
}

static void
test_cut_at_every_length(void **state)
{
	static const char line[] =
		"{\"cmd\":\"bypass\",\"proto\":\"udp\",\"src_ip\":\"192.168.1.1\",\"src_port\":53,"
		"\"dest_ip\":\"192.168.1.2\",\"dest_port\":5353,\"vlan\":[10],\"ttl\":3}";
	struct sl_ctl_request rq;
	const char *err;
	char buf[sizeof(line)];

	(void)state;
	for (size_t n = 0; n + 1 < sizeof(line); n++) {
		memcpy(buf, line, n);
		buf[n] = '\0';
		int rc = parse(buf, &rq, &err);

		assert_int_equal(rc, -EINVAL); /* an object is only whole at the end */
		assert_non_null(err);
	}
	assert_int_equal(parse(line, &rq, &err), 0);
	/* a NUL inside the line is not the end of it */
	assert_int_equal(sl_ctlproto_parse("{\"cmd\":\"ping\"}\0junk", 19, &rq, &err), -EINVAL);
}

static void
test_limits_and_arguments(void **state)
{
	struct sl_ctl_request rq;
	const char *err;
	char *big = malloc(SL_CTL_LINE_MAX + 1);

	(void)state;
	memset(big, ' ', SL_CTL_LINE_MAX + 1);
	memcpy(big, "{\"cmd\":\"ping\"}", 14);
	assert_int_equal(sl_ctlproto_parse(big, SL_CTL_LINE_MAX, &rq, &err), 0);
	assert_int_equal(sl_ctlproto_parse(big, SL_CTL_LINE_MAX + 1, &rq, &err), -EMSGSIZE);
	assert_string_equal(err, "line too long");
	free(big);
	assert_int_equal(sl_ctlproto_parse(NULL, 0, &rq, &err), -EINVAL);
	assert_int_equal(sl_ctlproto_parse(NULL, 3, &rq, &err), -EINVAL);
	assert_int_equal(sl_ctlproto_parse("{}", 2, NULL, &err), -EINVAL);
	assert_int_equal(sl_ctlproto_parse("{}", 2, &rq, NULL), -EINVAL);
}

static void
test_replies(void **state)
{
	char buf[128];
	struct sl_ctl_reply r = { .ok = true, .tenant = "acme", .found = -1 };

	(void)state;
	assert_int_equal(sl_ctlproto_format_reply(&r, buf, sizeof(buf)), 28);
	assert_string_equal(buf, "{\"ok\":true,\"tenant\":\"acme\"}\n");
	r = (struct sl_ctl_reply){ .ok = true, .found = 1 };
	sl_ctlproto_format_reply(&r, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true,\"found\":true}\n");
	r.found = 0;
	sl_ctlproto_format_reply(&r, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true,\"found\":false}\n");
	r = (struct sl_ctl_reply){ .ok = true, .found = -1, .reloaded = true, .rules = 12,
				   .generation = 5 };
	sl_ctlproto_format_reply(&r, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":true,\"rules\":12,\"generation\":5}\n");
	r = (struct sl_ctl_reply){ .ok = false, .error = "a \"quoted\"\nline", .found = -1 };
	sl_ctlproto_format_reply(&r, buf, sizeof(buf));
	assert_string_equal(buf, "{\"ok\":false,\"error\":\"a \\\"quoted\\\"\\nline\"}\n");
	/* exactly the size needed, and one byte short */
	r = (struct sl_ctl_reply){ .ok = true, .found = 1 };
	assert_int_equal(sl_ctlproto_format_reply(&r, buf, 26), 25);
	assert_int_equal(sl_ctlproto_format_reply(&r, buf, 25), -ENOSPC);
	r = (struct sl_ctl_reply){ .ok = false, .error = "\xff\xfe", .found = -1 };
	assert_int_equal(sl_ctlproto_format_reply(&r, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sl_ctlproto_format_reply(NULL, buf, sizeof(buf)), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_bypass_every_field),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_cut_at_every_length),
		cmocka_unit_test(test_limits_and_arguments),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
