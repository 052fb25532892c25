/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests: Community ID v1, flow record JSON, record sinks.
 *
 * The Community ID vectors are the spec's published results, copied
 * verbatim; each block says where it comes from:
 *
 *  SRC_TABLE   https://github.com/corelight/community-id-spec
 *              baseline/README.md, tables "Default settings" and
 *              "A custom seed=1 value" (base64 columns).
 *  SRC_JSON    the same repository, baseline/baseline_deflt.json (seed 0)
 *              and baseline/baseline_seed1.json (seed 1), produced by
 *              pycommunityid's community-id-pcap from pcaps/combined.pcap.gz.
 *              For ICMP/ICMPv6 their "sport"/"dport" are the port
 *              equivalents, i.e. (type, counterpart type) for two-way types
 *              and (type, code) for one-way ones; passed as (type, code)
 *              they give the same ids, since a two-way type ignores its code.
 *  SRC_PYTEST  https://github.com/corelight/pycommunityid (the reference
 *              implementation the spec recommends), tests/communityid_test.py,
 *              the base64 default (seed 0) and seed=1 columns.
 *
 * Rows without ports (RSVP, proto 46) carry ports = false.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "sl_flowrec.h"
#include "flowrec_ref.h"

#define SRC_TABLE "community-id-spec baseline/README.md"
#define SRC_JSON "community-id-spec baseline/baseline_*.json"
#define SRC_PYTEST "pycommunityid tests/communityid_test.py"

struct cid_vec {
	const char *src;
	uint16_t seed;
	uint8_t proto;
	const char *saddr, *daddr;
	uint16_t sport, dport; /* ICMP: type, code */
	bool ports;
	const char *id;
};

static const struct cid_vec cid_vecs[] = {
	/* baseline/README.md, "Default settings" */
	{ SRC_TABLE, 0,   6, "1.2.3.4", "5.6.7.8", 1122, 3344, true, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ SRC_TABLE, 0,   6, "5.6.7.8", "1.2.3.4", 3344, 1122, true, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ SRC_TABLE, 0,  17, "1.2.3.4", "5.6.7.8", 1122, 3344, true, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ SRC_TABLE, 0,  17, "5.6.7.8", "1.2.3.4", 3344, 1122, true, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ SRC_TABLE, 0, 132, "1.2.3.4", "5.6.7.8", 1122, 3344, true, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
	{ SRC_TABLE, 0, 132, "5.6.7.8", "1.2.3.4", 3344, 1122, true, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
	{ SRC_TABLE, 0,   1, "1.2.3.4", "5.6.7.8", 8, 0, true, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ SRC_TABLE, 0,   1, "5.6.7.8", "1.2.3.4", 0, 0, true, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ SRC_TABLE, 0,   1, "1.2.3.4", "5.6.7.8", 11, 0, true, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=" },
	{ SRC_TABLE, 0,  58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0, true, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ SRC_TABLE, 0,  58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0, true, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ SRC_TABLE, 0,  58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0, true, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=" },
	{ SRC_TABLE, 0,  46, "1.2.3.4", "5.6.7.8", 0, 0, false, "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ SRC_TABLE, 0,  46, "5.6.7.8", "1.2.3.4", 0, 0, false, "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ SRC_TABLE, 0,  46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, false, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
	{ SRC_TABLE, 0,  46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, false, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
	/* baseline/README.md, "A custom seed=1 value" */
	{ SRC_TABLE, 1,   6, "1.2.3.4", "5.6.7.8", 1122, 3344, true, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ SRC_TABLE, 1,   6, "5.6.7.8", "1.2.3.4", 3344, 1122, true, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ SRC_TABLE, 1,  17, "1.2.3.4", "5.6.7.8", 1122, 3344, true, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ SRC_TABLE, 1,  17, "5.6.7.8", "1.2.3.4", 3344, 1122, true, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ SRC_TABLE, 1, 132, "1.2.3.4", "5.6.7.8", 1122, 3344, true, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
	{ SRC_TABLE, 1, 132, "5.6.7.8", "1.2.3.4", 3344, 1122, true, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
	{ SRC_TABLE, 1,   1, "1.2.3.4", "5.6.7.8", 8, 0, true, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
	{ SRC_TABLE, 1,   1, "5.6.7.8", "1.2.3.4", 0, 0, true, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
	{ SRC_TABLE, 1,   1, "1.2.3.4", "5.6.7.8", 11, 0, true, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=" },
	{ SRC_TABLE, 1,  58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128, 0, true, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
	{ SRC_TABLE, 1,  58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129, 0, true, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
	{ SRC_TABLE, 1,  58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146, 0, true, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=" },
	{ SRC_TABLE, 1,  46, "1.2.3.4", "5.6.7.8", 0, 0, false, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
	{ SRC_TABLE, 1,  46, "5.6.7.8", "1.2.3.4", 0, 0, false, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
	{ SRC_TABLE, 1,  46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0, false, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
	{ SRC_TABLE, 1,  46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0, false, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
	/* baseline/baseline_deflt.json */
	{ SRC_JSON, 0,  58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, true, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ SRC_JSON, 0,  58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, true, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ SRC_JSON, 0,  58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, true, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ SRC_JSON, 0,  58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, true, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ SRC_JSON, 0,  58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
	{ SRC_JSON, 0,  58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, true, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
	{ SRC_JSON, 0,  58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, true, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
	{ SRC_JSON, 0,  58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, true, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
	{ SRC_JSON, 0,  58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, true, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
	{ SRC_JSON, 0,  58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, true, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
	{ SRC_JSON, 0,   1, "192.168.0.89", "192.168.0.1", 8, 0, true, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ SRC_JSON, 0,   1, "192.168.0.1", "192.168.0.89", 0, 8, true, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ SRC_JSON, 0,   1, "10.0.0.1", "10.0.0.2", 11, 0, true, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
	{ SRC_JSON, 0,   6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, true, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ SRC_JSON, 0,   6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, true, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ SRC_JSON, 0, 132, "192.168.170.8", "192.168.170.56", 7, 7, true, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ SRC_JSON, 0, 132, "192.168.170.56", "192.168.170.8", 7, 7, true, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ SRC_JSON, 0,   6, "128.232.110.120", "66.35.250.204", 34855, 80, true, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ SRC_JSON, 0,   6, "66.35.250.204", "128.232.110.120", 80, 34855, true, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ SRC_JSON, 0,  17, "192.168.1.52", "8.8.8.8", 54585, 53, true, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ SRC_JSON, 0,  17, "8.8.8.8", "192.168.1.52", 53, 54585, true, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ SRC_JSON, 0,  46, "10.1.12.1", "10.1.12.2", 0, 0, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	{ SRC_JSON, 0,  46, "10.1.12.2", "10.1.12.1", 0, 0, false, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	/* baseline/baseline_seed1.json */
	{ SRC_JSON, 1,  58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, true, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ SRC_JSON, 1,  58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, true, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ SRC_JSON, 1,  58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, true, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
	{ SRC_JSON, 1,  58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, true, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
	{ SRC_JSON, 1,  58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true, "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=" },
	{ SRC_JSON, 1,  58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, true, "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=" },
	{ SRC_JSON, 1,  58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, true, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
	{ SRC_JSON, 1,  58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, true, "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
	{ SRC_JSON, 1,  58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, true, "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=" },
	{ SRC_JSON, 1,  58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, true, "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=" },
	{ SRC_JSON, 1,   1, "192.168.0.89", "192.168.0.1", 8, 0, true, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ SRC_JSON, 1,   1, "192.168.0.1", "192.168.0.89", 0, 8, true, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ SRC_JSON, 1,   1, "10.0.0.1", "10.0.0.2", 11, 0, true, "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
	{ SRC_JSON, 1,   6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, true, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ SRC_JSON, 1,   6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, true, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ SRC_JSON, 1, 132, "192.168.170.8", "192.168.170.56", 7, 7, true, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ SRC_JSON, 1, 132, "192.168.170.56", "192.168.170.8", 7, 7, true, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ SRC_JSON, 1,   6, "128.232.110.120", "66.35.250.204", 34855, 80, true, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ SRC_JSON, 1,   6, "66.35.250.204", "128.232.110.120", 80, 34855, true, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ SRC_JSON, 1,  17, "192.168.1.52", "8.8.8.8", 54585, 53, true, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ SRC_JSON, 1,  17, "8.8.8.8", "192.168.1.52", 53, 54585, true, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ SRC_JSON, 1,  46, "10.1.12.1", "10.1.12.2", 0, 0, false, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
	{ SRC_JSON, 1,  46, "10.1.12.2", "10.1.12.1", 0, 0, false, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
	/* pycommunityid tests/communityid_test.py (base64 default and seed=1 columns) */
	{ SRC_PYTEST, 0,   1, "192.168.0.89", "192.168.0.1", 8, 0, true, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ SRC_PYTEST, 1,   1, "192.168.0.89", "192.168.0.1", 8, 0, true, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ SRC_PYTEST, 0,   1, "192.168.0.1", "192.168.0.89", 0, 8, true, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ SRC_PYTEST, 1,   1, "192.168.0.1", "192.168.0.89", 0, 8, true, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ SRC_PYTEST, 0,   1, "192.168.0.89", "192.168.0.1", 20, 0, true, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=" },
	{ SRC_PYTEST, 1,   1, "192.168.0.89", "192.168.0.1", 20, 0, true, "1:lCXHHxavE1Vq3oX9NH5ladQg02o=" },
	{ SRC_PYTEST, 0,   1, "192.168.0.89", "192.168.0.1", 20, 1, true, "1:tz/fHIDUHs19NkixVVoOZywde+I=" },
	{ SRC_PYTEST, 1,   1, "192.168.0.89", "192.168.0.1", 20, 1, true, "1:Ie3wmFyxiEyikbsbcO03d2nh+PM=" },
	{ SRC_PYTEST, 0,   1, "192.168.0.1", "192.168.0.89", 0, 20, true, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ SRC_PYTEST, 1,   1, "192.168.0.1", "192.168.0.89", 0, 20, true, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ SRC_PYTEST, 0,  58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, true, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ SRC_PYTEST, 1,  58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, true, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ SRC_PYTEST, 0,  58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, true, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ SRC_PYTEST, 1,  58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, true, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ SRC_PYTEST, 0,  58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true, "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=" },
	{ SRC_PYTEST, 1,  58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, true, "1:OlOWx9psIbBFi7lOCw/4MhlKR9M=" },
	{ SRC_PYTEST, 0,  58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, true, "1:/OGBt9BN1ofenrmSPWYicpij2Vc=" },
	{ SRC_PYTEST, 1,  58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0, true, "1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE=" },
	{ SRC_PYTEST, 0, 132, "192.168.170.8", "192.168.170.56", 7, 80, true, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=" },
	{ SRC_PYTEST, 1, 132, "192.168.170.8", "192.168.170.56", 7, 80, true, "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=" },
	{ SRC_PYTEST, 0, 132, "192.168.170.56", "192.168.170.8", 80, 7, true, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=" },
	{ SRC_PYTEST, 1, 132, "192.168.170.56", "192.168.170.8", 80, 7, true, "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=" },
	{ SRC_PYTEST, 0,   6, "128.232.110.120", "66.35.250.204", 34855, 80, true, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ SRC_PYTEST, 1,   6, "128.232.110.120", "66.35.250.204", 34855, 80, true, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ SRC_PYTEST, 0,   6, "66.35.250.204", "128.232.110.120", 80, 34855, true, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ SRC_PYTEST, 1,   6, "66.35.250.204", "128.232.110.120", 80, 34855, true, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ SRC_PYTEST, 0,   6, "10.0.0.1", "10.0.0.2", 10, 11569, true, "1:SXBGMX1lBOwhhoDrZynfROxnhnM=" },
	{ SRC_PYTEST, 1,   6, "10.0.0.1", "10.0.0.2", 10, 11569, true, "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=" },
	{ SRC_PYTEST, 0,  17, "192.168.1.52", "8.8.8.8", 54585, 53, true, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ SRC_PYTEST, 1,  17, "192.168.1.52", "8.8.8.8", 54585, 53, true, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ SRC_PYTEST, 0,  17, "8.8.8.8", "192.168.1.52", 53, 54585, true, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ SRC_PYTEST, 1,  17, "8.8.8.8", "192.168.1.52", 53, 54585, true, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ SRC_PYTEST, 0,  46, "10.1.24.4", "10.1.12.1", 0, 0, false, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=" },
	{ SRC_PYTEST, 1,  46, "10.1.24.4", "10.1.12.1", 0, 0, false, "1:BK3BVW3U2eemuwVQVN3zd/GULno=" },
	{ SRC_PYTEST, 0,  46, "10.1.12.1", "10.1.24.4", 0, 0, false, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=" },
	{ SRC_PYTEST, 1,  46, "10.1.12.1", "10.1.24.4", 0, 0, false, "1:BK3BVW3U2eemuwVQVN3zd/GULno=" },
};

/* ------------------------------------------------------------------ */
/* Community ID                                                        */

/* Text address to 16 bytes; returns the family (4 or 6). */
static uint8_t
parse_addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(s, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, s, out), 1);
		return 6;
	}
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
	return 4;
}

static void
cid(uint16_t seed, uint8_t family, const uint8_t *s, const uint8_t *d, uint16_t sp, uint16_t dp,
    uint8_t proto, char out[SL_COMMUNITY_ID_LEN])
{
	assert_int_equal(sl_community_id_v1(seed, family, s, d, sp, dp, proto, out,
					    SL_COMMUNITY_ID_LEN), 0);
	assert_int_equal(strlen(out), SL_COMMUNITY_ID_LEN - 1);
}

static void
test_cid_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cid_vecs) / sizeof(cid_vecs[0]); i++) {
		const struct cid_vec *v = &cid_vecs[i];
		uint8_t s[16], d[16];
		char out[SL_COMMUNITY_ID_LEN];
		uint8_t fam = parse_addr(v->saddr, s);

		assert_int_equal(parse_addr(v->daddr, d), fam);
		cid(v->seed, fam, s, d, v->sport, v->dport, v->proto, out);
		if (strcmp(out, v->id) != 0)
			fail_msg("%s row %zu: seed %u proto %u %s %u -> %s %u: got %s, want %s",
				 v->src, i, v->seed, v->proto, v->saddr, v->sport, v->daddr,
				 v->dport, out, v->id);
		if (!v->ports) {
			/* protocols without ports ignore them */
			cid(v->seed, fam, s, d, 1234, 80, v->proto, out);
			assert_string_equal(out, v->id);
		}
	}
}

static void
test_cid_errors(void **state)
{
	uint8_t a[16] = { 10, 0, 0, 1 }, b[16] = { 10, 0, 0, 2 };
	char out[64];

	(void)state;
	assert_int_equal(sl_community_id_v1(0, 5, a, b, 1, 2, 6, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_community_id_v1(0, 0, a, b, 1, 2, 6, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_community_id_v1(0, 4, NULL, b, 1, 2, 6, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_community_id_v1(0, 4, a, NULL, 1, 2, 6, out, sizeof(out)), -EINVAL);
	assert_int_equal(sl_community_id_v1(0, 4, a, b, 1, 2, 6, NULL, sizeof(out)), -EINVAL);
	memset(out, 'x', sizeof(out));
	assert_int_equal(sl_community_id_v1(0, 4, a, b, 1, 2, 6, out, SL_COMMUNITY_ID_LEN - 1),
			 -ENOSPC);
	assert_int_equal(out[0], '\0');
	assert_int_equal(sl_community_id_v1(0, 4, a, b, 1, 2, 6, out, 0), -ENOSPC);
	memset(out, 'x', sizeof(out));
	assert_int_equal(sl_community_id_v1(0, 4, a, b, 1, 2, 6, out, SL_COMMUNITY_ID_LEN), 0);
	assert_int_equal(out[SL_COMMUNITY_ID_LEN - 1], '\0');
	assert_int_equal(out[SL_COMMUNITY_ID_LEN], 'x');
	assert_memory_equal(out, "1:", 2);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Two-way ICMP types and their counterparts (pycommunityid icmp.py, icmp6.py). */
static const uint8_t icmp4_pairs[][2] = {
	{ 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 }, { 15, 16 },
	{ 16, 15 }, { 10, 9 }, { 9, 10 }, { 17, 18 }, { 18, 17 },
};
static const uint8_t icmp6_pairs[][2] = {
	{ 128, 129 }, { 129, 128 }, { 130, 131 }, { 131, 130 }, { 133, 134 }, { 134, 133 },
	{ 135, 136 }, { 136, 135 }, { 139, 140 }, { 140, 139 }, { 144, 145 }, { 145, 144 },
};

static bool
icmp_two_way(uint8_t proto, uint8_t type)
{
	const uint8_t(*p)[2] = proto == 1 ? icmp4_pairs : icmp6_pairs;
	size_t n = proto == 1 ? sizeof(icmp4_pairs) / sizeof(icmp4_pairs[0])
			      : sizeof(icmp6_pairs) / sizeof(icmp6_pairs[0]);

	for (size_t i = 0; i < n; i++)
		if (p[i][0] == type)
			return true;
	return false;
}

/* A random address; often close to or equal to @p other, to exercise ordering. */
static void
rand_addr(uint8_t a[16], const uint8_t other[16], size_t alen)
{
	uint64_t r = rng();

	memset(a, 0, 16);
	if (other != NULL && r % 4 == 0) {
		memcpy(a, other, alen); /* equal: the ports decide */
		return;
	}
	for (size_t i = 0; i < alen; i++)
		a[i] = (uint8_t)rng();
	if (other != NULL && r % 4 == 1) {
		memcpy(a, other, alen - 1); /* differ in the last byte only */
	}
}

static void
test_cid_symmetry(void **state)
{
	static const uint8_t protos[] = { 6, 17, 132, 1, 58, 47, 46, 50, 0, 255 };

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint8_t fam = rng() & 1 ? 4 : 6;
		size_t alen = fam == 4 ? 4 : 16;
		uint8_t a[16], b[16];
		uint8_t proto = protos[rng() % sizeof(protos)];
		uint16_t seed = rng() % 3 == 0 ? 0 : (uint16_t)rng();
		uint16_t pa = (uint16_t)rng(), pb = rng() % 3 == 0 ? pa : (uint16_t)rng();
		char fwd[SL_COMMUNITY_ID_LEN], rev[SL_COMMUNITY_ID_LEN];

		rand_addr(a, NULL, alen);
		rand_addr(b, a, alen);
		if (proto == 1 || proto == 58) {
			const uint8_t(*p)[2] = proto == 1 ? icmp4_pairs : icmp6_pairs;
			size_t n = proto == 1 ? sizeof(icmp4_pairs) / sizeof(icmp4_pairs[0])
					      : sizeof(icmp6_pairs) / sizeof(icmp6_pairs[0]);
			uint8_t t = (uint8_t)rng();

			if (rng() & 1) {
				/* request one way, its counterpart back, any codes */
				size_t k = rng() % n;

				cid(seed, fam, a, b, p[k][0], (uint8_t)rng(), proto, fwd);
				cid(seed, fam, b, a, p[k][1], (uint8_t)rng(), proto, rev);
				assert_string_equal(fwd, rev);
			} else if (!icmp_two_way(proto, t) && memcmp(a, b, alen) != 0) {
				/* one-way types are never paired with the reverse */
				uint8_t code = (uint8_t)rng();

				cid(seed, fam, a, b, t, code, proto, fwd);
				cid(seed, fam, b, a, t, code, proto, rev);
				assert_string_not_equal(fwd, rev);
			}
			continue;
		}
		cid(seed, fam, a, b, pa, pb, proto, fwd);
		cid(seed, fam, b, a, pb, pa, proto, rev);
		if (strcmp(fwd, rev) != 0)
			fail_msg("proto %u seed %u: %s != %s", proto, seed, fwd, rev);
	}
}

/* ------------------------------------------------------------------ */
/* Flow record JSON                                                    */

#define JBUF 4096

/* Format @p r, check the return value against the text, parse it back. */
static json_t *
fmt(const struct sl_flowrec *r, char *buf)
{
	json_error_t jerr;
	int n = sl_flowrec_json(r, buf, JBUF);
	json_t *j;

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_null(strchr(buf, '\n'));
	j = json_loads(buf, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		fail_msg("bad JSON (%s): %s", jerr.text, buf);
	assert_true(json_is_object(j));
	return j;
}

static json_int_t
jint(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("%s: not an integer", key);
	return json_integer_value(v);
}

static const char *
jstr(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("%s: not a string", key);
	return json_string_value(v);
}

static bool
jbool(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		fail_msg("%s: not a boolean", key);
	return json_is_true(v);
}

static json_t *
jobj(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_object(v))
		fail_msg("%s: not an object", key);
	return v;
}

static void
assert_absent(const json_t *o, const char *key)
{
	if (json_object_get(o, key) != NULL)
		fail_msg("%s: present, should be omitted", key);
}

/* Keys of @p o in document order (jansson keeps insertion order) are @p keys. */
static void
assert_keys(const json_t *o, const char *const *keys, size_t n)
{
	size_t i = 0;

	for (void *it = json_object_iter((json_t *)o); it != NULL;
	     it = json_object_iter_next((json_t *)o, it), i++) {
		assert_true(i < n);
		if (strcmp(json_object_iter_key(it), keys[i]) != 0)
			fail_msg("key %zu: %s, want %s", i, json_object_iter_key(it), keys[i]);
	}
	assert_int_equal(i, n);
}

#define KEYS(o, ...)                                                                       \
	do {                                                                               \
		static const char *const k_[] = { __VA_ARGS__ };                            \
		assert_keys((o), k_, sizeof(k_) / sizeof(k_[0]));                          \
	} while (0)

/* 2023-11-14T22:13:20.123456 UTC */
#define T0 1700000000123456ull

static struct sl_flowrec
tcp4_rec(void)
{
	struct sl_flowrec r = {
		.start_us = T0,
		.end_us = T0 + 65000000ull + 1, /* 65 s later */
		.tenant_id = 3,
		.tenant = "acme",
		.n_vlan = 2,
		.vlan = { 100, 4094 },
		.tunnel_id = 4242,
		.family = 4,
		.proto = 6,
		.sport = 34855,
		.dport = 80,
		.pkts_toserver = 10,
		.pkts_toclient = 12,
		.bytes_toserver = 1000,
		.bytes_toclient = 15000,
		.fwd_pkts = 5,
		.fwd_bytes = 600,
		.bypass_pkts = 17,
		.bypass_bytes = 15400,
		.drop_pkts = 0,
		.drop_bytes = 0,
		.pool = "ids",
		.member = 2,
		.action = "forward",
		.rule = "web",
		.reason = "tcp-closed",
		.elephant = true,
		.bypassed = true,
		.tcp_flags_ts = 0x1b,
		.tcp_flags_tc = 0x12,
		.community_id_seed = 0,
	};
	/* the spec's README tuple, so community_id is a published vector */
	parse_addr("128.232.110.120", r.src);
	parse_addr("66.35.250.204", r.dst);
	return r;
}

static void
test_json_tcp4(void **state)
{
	struct sl_flowrec r = tcp4_rec();
	char buf[JBUF];
	json_t *j, *f, *s, *t, *v;

	(void)state;
	j = fmt(&r, buf);
	KEYS(j, "timestamp", "event_type", "tenant_id", "tenant", "vlan", "tunnel_id", "src_ip",
	     "src_port", "dest_ip", "dest_port", "proto", "community_id", "flow", "sluice",
	     "tcp");
	assert_string_equal(jstr(j, "timestamp"), "2023-11-14T22:14:25.123457+0000");
	assert_string_equal(jstr(j, "event_type"), "flow");
	assert_int_equal(jint(j, "tenant_id"), 3);
	assert_string_equal(jstr(j, "tenant"), "acme");
	v = json_object_get(j, "vlan");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 2);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 100);
	assert_int_equal(json_integer_value(json_array_get(v, 1)), 4094);
	assert_int_equal(jint(j, "tunnel_id"), 4242);
	assert_string_equal(jstr(j, "src_ip"), "128.232.110.120");
	assert_int_equal(jint(j, "src_port"), 34855);
	assert_string_equal(jstr(j, "dest_ip"), "66.35.250.204");
	assert_int_equal(jint(j, "dest_port"), 80);
	assert_string_equal(jstr(j, "proto"), "TCP");
	assert_absent(j, "icmp_type");
	assert_absent(j, "icmp_code");
	/* community-id-spec README / baseline: tcp 128.232.110.120:34855 -> 66.35.250.204:80 */
	assert_string_equal(jstr(j, "community_id"), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");

	f = jobj(j, "flow");
	KEYS(f, "pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start",
	     "end", "age", "reason", "elephant", "bypassed");
	assert_int_equal(jint(f, "pkts_toserver"), 10);
	assert_int_equal(jint(f, "pkts_toclient"), 12);
	assert_int_equal(jint(f, "bytes_toserver"), 1000);
	assert_int_equal(jint(f, "bytes_toclient"), 15000);
	assert_string_equal(jstr(f, "start"), "2023-11-14T22:13:20.123456+0000");
	assert_string_equal(jstr(f, "end"), "2023-11-14T22:14:25.123457+0000");
	assert_int_equal(jint(f, "age"), 65);
	assert_string_equal(jstr(f, "reason"), "tcp-closed");
	assert_true(jbool(f, "elephant"));
	assert_true(jbool(f, "bypassed"));

	s = jobj(j, "sluice");
	KEYS(s, "forwarded", "bypassed", "dropped", "pool", "member", "action", "rule");
	assert_int_equal(jint(jobj(s, "forwarded"), "pkts"), 5);
	assert_int_equal(jint(jobj(s, "forwarded"), "bytes"), 600);
	assert_int_equal(jint(jobj(s, "bypassed"), "pkts"), 17);
	assert_int_equal(jint(jobj(s, "bypassed"), "bytes"), 15400);
	assert_int_equal(jint(jobj(s, "dropped"), "pkts"), 0);
	assert_int_equal(jint(jobj(s, "dropped"), "bytes"), 0);
	KEYS(jobj(s, "dropped"), "pkts", "bytes");
	assert_string_equal(jstr(s, "pool"), "ids");
	assert_int_equal(jint(s, "member"), 2);
	assert_string_equal(jstr(s, "action"), "forward");
	assert_string_equal(jstr(s, "rule"), "web");

	t = jobj(j, "tcp");
	KEYS(t, "tcp_flags", "tcp_flags_ts", "tcp_flags_tc");
	assert_string_equal(jstr(t, "tcp_flags"), "1b");
	assert_string_equal(jstr(t, "tcp_flags_ts"), "1b");
	assert_string_equal(jstr(t, "tcp_flags_tc"), "12");
	json_decref(j);

	/* compact, starts like an EVE line */
	assert_memory_equal(buf, "{\"timestamp\":\"", 14);
}

static void
test_json_udp6(void **state)
{
	struct sl_flowrec r = {
		.start_us = T0,
		.end_us = T0 + 500000, /* same second: age 0 */
		.tenant_id = 0,
		.tenant = "default",
		.n_vlan = 1,
		.vlan = { 7, 0 },
		.family = 6,
		.proto = 17,
		.sport = 54585,
		.dport = 53,
		.pkts_toserver = 1,
		.pkts_toclient = 1,
		.bytes_toserver = 80,
		.bytes_toclient = 200,
		.fwd_pkts = 2,
		.fwd_bytes = 280,
		.member = 0,
		.action = "mirror",
		.reason = "timeout",
		.tcp_flags_ts = 0xff, /* ignored: not TCP */
		.community_id_seed = 1,
	};
	char buf[JBUF], want[SL_COMMUNITY_ID_LEN];
	json_t *j, *v;

	(void)state;
	parse_addr("2001:db8::1", r.src);
	parse_addr("2001:db8:0:0:1::53", r.dst);
	j = fmt(&r, buf);
	KEYS(j, "timestamp", "event_type", "tenant_id", "tenant", "vlan", "src_ip", "src_port",
	     "dest_ip", "dest_port", "proto", "community_id", "flow", "sluice");
	assert_string_equal(jstr(j, "timestamp"), "2023-11-14T22:13:20.623456+0000");
	assert_int_equal(jint(j, "tenant_id"), 0);
	assert_string_equal(jstr(j, "tenant"), "default");
	v = json_object_get(j, "vlan");
	assert_int_equal(json_array_size(v), 1);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 7);
	assert_string_equal(jstr(j, "src_ip"), "2001:db8::1");
	assert_int_equal(jint(j, "src_port"), 54585);
	assert_string_equal(jstr(j, "dest_ip"), "2001:db8::1:0:0:53");
	assert_int_equal(jint(j, "dest_port"), 53);
	assert_string_equal(jstr(j, "proto"), "UDP");
	cid(1, 6, r.src, r.dst, 54585, 53, 17, want);
	assert_string_equal(jstr(j, "community_id"), want);
	assert_int_equal(jint(jobj(j, "flow"), "age"), 0);
	assert_false(jbool(jobj(j, "flow"), "elephant"));
	assert_false(jbool(jobj(j, "flow"), "bypassed"));
	assert_string_equal(jstr(jobj(j, "flow"), "reason"), "timeout");
	assert_int_equal(jint(jobj(j, "sluice"), "member"), 0);
	assert_string_equal(jstr(jobj(j, "sluice"), "action"), "mirror");
	assert_absent(jobj(j, "sluice"), "pool");
	assert_absent(jobj(j, "sluice"), "rule");
	json_decref(j);
}

static void
test_json_icmp(void **state)
{
	struct sl_flowrec r = {
		.start_us = T0,
		.end_us = T0 + 3000000,
		.tenant = "t",
		.family = 4,
		.proto = 1,
		.sport = 8, /* echo request */
		.dport = 0,
		.member = -1,
		.community_id_seed = 0,
	};
	char buf[JBUF];
	json_t *j;

	(void)state;
	parse_addr("192.168.0.89", r.src);
	parse_addr("192.168.0.1", r.dst);
	j = fmt(&r, buf);
	KEYS(j, "timestamp", "event_type", "tenant_id", "tenant", "src_ip", "dest_ip", "proto",
	     "icmp_type", "icmp_code", "community_id", "flow", "sluice");
	assert_string_equal(jstr(j, "proto"), "ICMP");
	assert_int_equal(jint(j, "icmp_type"), 8);
	assert_int_equal(jint(j, "icmp_code"), 0);
	/* pycommunityid test_icmp / baseline_deflt.json */
	assert_string_equal(jstr(j, "community_id"), "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	assert_int_equal(jint(jobj(j, "flow"), "age"), 3);
	json_decref(j);

	/* ICMPv6 neighbor solicitation */
	r.family = 6;
	r.proto = 58;
	r.sport = 135;
	r.dport = 0;
	parse_addr("fe80::200:86ff:fe05:80da", r.src);
	parse_addr("fe80::260:97ff:fe07:69ea", r.dst);
	j = fmt(&r, buf);
	assert_string_equal(jstr(j, "proto"), "IPv6-ICMP");
	assert_int_equal(jint(j, "icmp_type"), 135);
	assert_int_equal(jint(j, "icmp_code"), 0);
	assert_absent(j, "src_port");
	assert_absent(j, "dest_port");
	assert_absent(j, "tcp");
	/* pycommunityid test_icmp6 / baseline_deflt.json */
	assert_string_equal(jstr(j, "community_id"), "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	json_decref(j);
}

static void
test_json_non_ip(void **state)
{
	struct sl_flowrec r = {
		.start_us = T0,
		.end_us = T0 + 10000000,
		.tenant_id = 1,
		.tenant = "lab",
		.n_vlan = 1,
		.vlan = { 10, 0 },
		.family = 0,
		.proto = 6, /* meaningless without IP: ignored */
		.sport = 1,
		.dport = 2,
		.pkts_toserver = 4,
		.bytes_toserver = 256,
		.fwd_pkts = 4,
		.fwd_bytes = 256,
		.member = 1,
		.pool = "arp",
		.action = "forward",
		.reason = "shutdown",
		.tcp_flags_ts = 2,
	};
	char buf[JBUF];
	json_t *j;

	(void)state;
	j = fmt(&r, buf);
	KEYS(j, "timestamp", "event_type", "tenant_id", "tenant", "vlan", "flow", "sluice");
	assert_string_equal(jstr(jobj(j, "flow"), "reason"), "shutdown");
	assert_int_equal(jint(jobj(j, "flow"), "pkts_toserver"), 4);
	assert_int_equal(jint(jobj(j, "flow"), "pkts_toclient"), 0);
	assert_int_equal(jint(jobj(j, "flow"), "age"), 10);
	assert_string_equal(jstr(jobj(j, "sluice"), "pool"), "arp");
	json_decref(j);
}

static void
test_json_omitted(void **state)
{
	struct sl_flowrec r = {
		.start_us = T0,
		.end_us = T0,
		.family = 4,
		.proto = 47, /* GRE: no ports */
		.sport = 1,
		.dport = 2,
		.member = -1,
	};
	char buf[JBUF];
	json_t *j, *f, *s;

	(void)state;
	parse_addr("10.0.0.1", r.src);
	parse_addr("10.0.0.2", r.dst);
	j = fmt(&r, buf);
	KEYS(j, "timestamp", "event_type", "tenant_id", "src_ip", "dest_ip", "proto",
	     "community_id", "flow", "sluice");
	assert_string_equal(jstr(j, "proto"), "47");
	f = jobj(j, "flow");
	KEYS(f, "pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start",
	     "end", "age", "elephant", "bypassed");
	s = jobj(j, "sluice");
	KEYS(s, "forwarded", "bypassed", "dropped");
	json_decref(j);

	/* counters past INT64_MAX are clamped, not wrapped negative */
	r.pkts_toserver = UINT64_MAX;
	r.end_us = T0 - 5000000; /* end before start: age 0, never negative */
	j = fmt(&r, buf);
	assert_int_equal(jint(jobj(j, "flow"), "pkts_toserver"), INT64_MAX);
	assert_int_equal(jint(jobj(j, "flow"), "age"), 0);
	json_decref(j);

	/* epoch 0 */
	r.start_us = r.end_us = 0;
	j = fmt(&r, buf);
	assert_string_equal(jstr(j, "timestamp"), "1970-01-01T00:00:00.000000+0000");
	json_decref(j);
}

/* Application detection's fields: after the tuple, each omitted alone
 * when absent; a server name that is not UTF-8 is refused, not written. */
static void
test_json_app(void **state)
{
	struct sl_flowrec r = tcp4_rec();
	char buf[JBUF];
	json_t *j;

	(void)state;
	r.app_proto = "TLS.Google";
	r.app_category = "Web";
	r.sni = "www.google.com";
	j = fmt(&r, buf);
	KEYS(j, "timestamp", "event_type", "tenant_id", "tenant", "vlan", "tunnel_id", "src_ip",
	     "src_port", "dest_ip", "dest_port", "proto", "community_id", "app_proto",
	     "app_category", "sni", "flow", "sluice", "tcp");
	assert_string_equal(jstr(j, "app_proto"), "TLS.Google");
	assert_string_equal(jstr(j, "app_category"), "Web");
	assert_string_equal(jstr(j, "sni"), "www.google.com");
	json_decref(j);
	r.sni = NULL;
	r.app_proto = "Unknown";
	j = fmt(&r, buf);
	assert_string_equal(jstr(j, "app_proto"), "Unknown");
	assert_absent(j, "sni");
	json_decref(j);
	r.app_category = NULL;
	r.sni = "\"quoted\"\\name";
	j = fmt(&r, buf);
	assert_absent(j, "app_category");
	assert_string_equal(jstr(j, "sni"), "\"quoted\"\\name"); /* escaped, read back */
	json_decref(j);
	r.sni = "bad\xff";
	assert_int_equal(sl_flowrec_json(&r, buf, sizeof(buf)), -EINVAL);
}

static void
test_json_errors(void **state)
{
	struct sl_flowrec r = tcp4_rec();
	char buf[JBUF];
	int n;

	(void)state;
	n = sl_flowrec_json(&r, buf, sizeof(buf));
	assert_true(n > 0);
	/* every buffer too small for the line and its NUL */
	for (int len = 0; len <= n; len++) {
		char small[JBUF];

		assert_int_equal(sl_flowrec_json(&r, small, (size_t)len), -ENOSPC);
	}
	assert_int_equal(sl_flowrec_json(&r, buf, (size_t)n + 1), n);
	assert_int_equal(buf[n], '\0');

	assert_int_equal(sl_flowrec_json(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sl_flowrec_json(&r, NULL, sizeof(buf)), -EINVAL);
	r.family = 5;
	assert_int_equal(sl_flowrec_json(&r, buf, sizeof(buf)), -EINVAL);
	r = tcp4_rec();
	r.n_vlan = 3;
	assert_int_equal(sl_flowrec_json(&r, buf, sizeof(buf)), -EINVAL);
	r = tcp4_rec();
	r.rule = "bad\xff";
	assert_int_equal(sl_flowrec_json(&r, buf, sizeof(buf)), -EINVAL);
	r.rule = "\xc0\xaf"; /* overlong '/' */
	assert_int_equal(sl_flowrec_json(&r, buf, sizeof(buf)), -EINVAL);
	r.rule = "\xed\xa0\x80"; /* surrogate */
	assert_int_equal(sl_flowrec_json(&r, buf, sizeof(buf)), -EINVAL);
	r.rule = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9f \"q\"\\"; /* valid, escaped */
	json_decref(fmt(&r, buf));
	assert_non_null(strstr(buf, "\"rule\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x9f "
				    "\\\"q\\\"\\\\\""));
}

/* ------------------------------------------------------------------ */
/* Sinks                                                               */

struct dir {
	char path[64];
};

static int
dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/sl_flowrec_XXXXXX");
	if (mkdtemp(d->path) == NULL) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int
dir_teardown(void **state)
{
	struct dir *d = *state;
	DIR *dh = opendir(d->path);
	struct dirent *e;
	char p[PATH_MAX];

	if (dh != NULL) {
		while ((e = readdir(dh)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", d->path, e->d_name);
			unlink(p);
		}
		closedir(dh);
	}
	rmdir(d->path);
	free(d);
	return 0;
}

static void
dpath(const struct dir *d, const char *name, char *out, size_t len)
{
	assert_true((size_t)snprintf(out, len, "%s/%s", d->path, name) < len);
}

/* Whole file into buf (NUL-terminated); returns its length. */
static size_t
slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	close(fd);
	buf[n] = '\0';
	return (size_t)n;
}

static int
sink_puts(struct sl_sink *s, const char *line)
{
	return sl_sink_write(s, line, strlen(line));
}

static void
test_sink_names(void **state)
{
	(void)state;
	assert_string_equal(sl_sink_kind_name(SL_SINK_FILE), "file");
	assert_string_equal(sl_sink_kind_name(SL_SINK_UNIX_DGRAM), "unix-dgram");
	assert_string_equal(sl_sink_kind_name(SL_SINK_SYSLOG), "syslog");
	assert_null(sl_sink_kind_name(SL_SINK_KIND_MAX));
	assert_null(sl_sink_kind_name((enum sl_sink_kind)-1));
	sl_sink_close(NULL);
}

static void
test_sink_args(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s = (struct sl_sink *)(uintptr_t)1;
	char err[128], p[PATH_MAX], longp[200];

	err[0] = '\0';
	assert_int_equal(sl_sink_open(SL_SINK_FILE, NULL, 0, &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_true(strlen(err) > 0);
	assert_int_equal(sl_sink_open(SL_SINK_UNIX_DGRAM, NULL, 0, &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sl_sink_open(SL_SINK_KIND_MAX, "/tmp/x", 0, &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sl_sink_open(SL_SINK_FILE, "/tmp/x", 0, NULL, err, sizeof(err)),
			 -EINVAL);
	/* bad facilities: a severity bit set, past the last facility, negative */
	assert_int_equal(sl_sink_open(SL_SINK_SYSLOG, "/tmp/x", LOG_LOCAL0 | LOG_INFO, &s, err,
				      sizeof(err)), -EINVAL);
	assert_int_equal(sl_sink_open(SL_SINK_SYSLOG, "/tmp/x", LOG_NFACILITIES << 3, &s, err,
				      sizeof(err)), -EINVAL);
	assert_int_equal(sl_sink_open(SL_SINK_SYSLOG, "/tmp/x", -8, &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sl_sink_open(SL_SINK_SYSLOG, "/tmp/x", 200 << 3, &s, err, sizeof(err)),
			 -EINVAL);
	/* a file in a directory that does not exist */
	dpath(d, "nodir/f.json", p, sizeof(p));
	err[0] = '\0';
	assert_int_equal(sl_sink_open(SL_SINK_FILE, p, 0, &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, p));
	assert_null(s);
	/* err may be NULL */
	assert_int_equal(sl_sink_open(SL_SINK_FILE, p, 0, &s, NULL, 0), -ENOENT);
	/* socket path too long for sun_path */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(sl_sink_open(SL_SINK_UNIX_DGRAM, longp, 0, &s, err, sizeof(err)),
			 -ENAMETOOLONG);
	assert_int_equal(sl_sink_write(NULL, "x", 1), -EINVAL);
	assert_int_equal(sl_sink_reopen(NULL), -EINVAL);
}

static void
test_sink_file(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s;
	char p[PATH_MAX], rot[PATH_MAX], err[128], buf[JBUF];
	struct sl_flowrec r = tcp4_rec();
	char line[JBUF];
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	dpath(d, "flows.json", p, sizeof(p));
	dpath(d, "flows.json.1", rot, sizeof(rot));
	assert_int_equal(sl_sink_open(SL_SINK_FILE, p, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~mask);

	assert_int_equal(sink_puts(s, "a"), 0);
	assert_int_equal(sl_sink_write(s, "bcd", 2), 0); /* only len bytes */
	assert_true(sl_flowrec_json(&r, line, sizeof(line)) > 0);
	assert_int_equal(sink_puts(s, line), 0);
	slurp(p, buf, sizeof(buf));
	{
		char want[JBUF + 16];

		snprintf(want, sizeof(want), "a\nbc\n%s\n", line);
		assert_string_equal(buf, want);
	}

	/* logrotate: rename, keep writing to the renamed file until the reopen */
	assert_int_equal(rename(p, rot), 0);
	assert_int_equal(sink_puts(s, "after-rename"), 0);
	assert_int_equal(sl_sink_reopen(s), 0);
	assert_int_equal(sink_puts(s, "after-reopen"), 0);
	assert_int_equal(sink_puts(s, "second"), 0);
	slurp(p, buf, sizeof(buf));
	assert_string_equal(buf, "after-reopen\nsecond\n");
	slurp(rot, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nafter-rename\n"));
	assert_null(strstr(buf, "after-reopen"));

	/* a failed reopen (a directory is in the way) keeps the old file */
	assert_int_equal(rename(p, rot), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(sl_sink_reopen(s), -EISDIR);
	assert_int_equal(sink_puts(s, "still-old"), 0);
	assert_int_equal(rmdir(p), 0);
	sl_sink_close(s);
	slurp(rot, buf, sizeof(buf));
	assert_string_equal(buf, "after-reopen\nsecond\nstill-old\n");

	/* appends to an existing file */
	assert_int_equal(sl_sink_open(SL_SINK_FILE, rot, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_puts(s, "appended"), 0);
	sl_sink_close(s);
	slurp(rot, buf, sizeof(buf));
	assert_string_equal(buf, "after-reopen\nsecond\nstill-old\nappended\n");
}

/* A short write (file size limit) leaves no cut record: the file is
 * truncated back to the last whole line and the write fails with the
 * limit's errno. */
static void
test_sink_file_short_write(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s;
	char p[PATH_MAX], err[128], buf[256];
	struct rlimit old, lim;
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);

	dpath(d, "short.json", p, sizeof(p));
	assert_int_equal(sl_sink_open(SL_SINK_FILE, p, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_puts(s, "0123456789"), 0); /* 11 bytes */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 16;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(sink_puts(s, "abcdefghij"), -EFBIG); /* 5 of 11 bytes fit: taken back */
	assert_int_equal(sink_puts(s, "x"), 0);               /* 2 bytes fit */
	assert_int_equal(sink_puts(s, "yyyy"), -EFBIG);       /* 3 of 5 fit: taken back */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(sink_puts(s, "next"), 0);
	assert_int_equal(sink_puts(s, "last"), 0);
	sl_sink_close(s);
	slurp(p, buf, sizeof(buf));
	assert_string_equal(buf, "0123456789\nx\nnext\nlast\n");
}

/* Many lines in one write; a short one keeps the whole lines that fit. */
static void
test_sink_file_lines(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s;
	char p[PATH_MAX], err[128], buf[256];
	struct rlimit old, lim;
	unsigned int n = 99;
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);

	dpath(d, "batch.json", p, sizeof(p));
	assert_int_equal(sl_sink_open(SL_SINK_FILE, p, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(sl_sink_write_lines(s, "one\ntwo\nthree\n", 14, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 14 + 12; /* "four\nfive\nsi" fits */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(sl_sink_write_lines(s, "four\nfive\nsix\nseven\n", 20, &n), -EFBIG);
	assert_int_equal(n, 2);
	assert_int_equal(sl_sink_write_lines(s, "eight\n", 6, &n), -EFBIG);
	assert_int_equal(n, 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_int_equal(sl_sink_write_lines(s, "nine\n", 5, NULL), 0);
	/* not whole lines: refused without writing */
	assert_int_equal(sl_sink_write_lines(s, "ten", 3, &n), -EINVAL);
	assert_int_equal(sl_sink_write_lines(s, "", 0, &n), -EINVAL);
	assert_int_equal(sl_sink_write_lines(NULL, "a\n", 2, &n), -EINVAL);
	sl_sink_close(s);
	slurp(p, buf, sizeof(buf));
	assert_string_equal(buf, "one\ntwo\nthree\nfour\nfive\nnine\n");
}

/* A full disk (/dev/full) and a pipe, where a cut line cannot be taken back. */
static void
test_write_lines_fd(void **state)
{
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	int pfd[2];
	size_t kept = 7;
	char buf[64];

	(void)state;
	if (full >= 0) {
		assert_int_equal(sl_write_lines_fd(full, "a\nb\n", 4, &kept), -ENOSPC);
		assert_int_equal(kept, 0);
		close(full);
	}
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(sl_write_lines_fd(pfd[1], "hello\n", 6, &kept), 0);
	assert_int_equal(kept, 6);
	assert_int_equal(read(pfd[0], buf, sizeof(buf)), 6);
	close(pfd[0]);
	{
		void (*oldsig)(int) = signal(SIGPIPE, SIG_IGN);

		assert_int_equal(sl_write_lines_fd(pfd[1], "x\n", 2, &kept), -EPIPE);
		signal(SIGPIPE, oldsig);
	}
	close(pfd[1]);
	assert_int_equal(sl_write_lines_fd(-1, "x\n", 2, &kept), -EINVAL);
	assert_int_equal(sl_write_lines_fd(1, "x", 1, &kept), -EINVAL);
}

/* A bound, non-blocking datagram receiver at @p path. */
static int
rx_bind(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* One datagram, NUL-terminated; returns its length. */
static size_t
rx_one(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	if (n < 0) {
		fail_msg("recv: %s", strerror(errno));
		return 0;
	}
	buf[n] = '\0';
	return (size_t)n;
}

static void
assert_rx_empty(int fd)
{
	char c;

	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
test_sink_unix(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s;
	char p[PATH_MAX], err[128], buf[JBUF], line[JBUF];
	struct sl_flowrec r = tcp4_rec();
	int rx = -1, rc, i;

	dpath(d, "rx.sock", p, sizeof(p));

	/* no receiver yet: the open succeeds, writes fail until it exists */
	assert_int_equal(sl_sink_open(SL_SINK_UNIX_DGRAM, p, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_puts(s, "lost"), -ENOENT);
	rx = rx_bind(p);
	assert_int_equal(sink_puts(s, "first"), 0);
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "first");

	/* each record is one datagram */
	for (i = 0; i < 5; i++) {
		r.pkts_toserver = (uint64_t)i;
		assert_true(sl_flowrec_json(&r, line, sizeof(line)) > 0);
		assert_int_equal(sink_puts(s, line), 0);
		assert_int_equal(rx_one(rx, buf, sizeof(buf)), strlen(line));
		assert_string_equal(buf, line);
	}
	assert_rx_empty(rx);

	/* a receiver that never reads: -EAGAIN, without blocking */
	for (i = 0; i < 100000; i++) {
		rc = sink_puts(s, "fill");
		if (rc != 0)
			break;
	}
	assert_int_equal(rc, -EAGAIN);
	assert_true(i > 0);
	assert_int_equal(sink_puts(s, "fill"), -EAGAIN);
	/* drained, it takes records again */
	while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	assert_int_equal(sink_puts(s, "again"), 0);
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "again");

	/* the receiver goes away: errors, no crash, no signal */
	close(rx);
	rc = sink_puts(s, "gone");
	assert_true(rc == -ECONNREFUSED || rc == -ENOTCONN || rc == -ENOENT);
	rc = sink_puts(s, "gone");
	assert_true(rc == -ECONNREFUSED || rc == -ENOTCONN || rc == -ENOENT);
	unlink(p);
	assert_int_equal(sink_puts(s, "gone"), -ENOENT);

	/* a restarted receiver gets records without a reopen */
	rx = rx_bind(p);
	assert_int_equal(sink_puts(s, "back"), 0);
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "back");

	/* reopen: a new socket, connected again */
	assert_int_equal(sl_sink_reopen(s), 0);
	assert_int_equal(sink_puts(s, "reopened"), 0);
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "reopened");
	close(rx);
	unlink(p);
	assert_int_equal(sl_sink_reopen(s), 0); /* absent peer: not an error */
	assert_int_equal(sink_puts(s, "x"), -ENOENT);
	sl_sink_close(s);

	/* a file that is not a socket: like a socket nobody listens on */
	dpath(d, "plain", p, sizeof(p));
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	assert_int_equal(sl_sink_open(SL_SINK_UNIX_DGRAM, p, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_puts(s, "x"), -ECONNREFUSED);
	sl_sink_close(s);
}

/* "<PRI>Mmm dd hh:mm:ss sluice[pid]: " then the record. */
static const char *
check_syslog_header(const char *msg, int pri)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char want[64];
	const char *p = msg;
	bool month = false;

	snprintf(want, sizeof(want), "<%d>", pri);
	assert_memory_equal(p, want, strlen(want));
	p += strlen(want);
	for (int i = 0; i < 12; i++)
		month |= strncmp(p, mon[i], 3) == 0;
	assert_true(month);
	assert_int_equal(p[3], ' ');
	assert_true(p[4] == ' ' || (p[4] >= '1' && p[4] <= '3'));
	assert_true(p[5] >= '0' && p[5] <= '9');
	assert_int_equal(p[6], ' ');
	for (int i = 7; i < 15; i++) {
		if (i == 9 || i == 12)
			assert_int_equal(p[i], ':');
		else
			assert_true(p[i] >= '0' && p[i] <= '9');
	}
	assert_int_equal(p[15], ' ');
	p += 16;
	snprintf(want, sizeof(want), "sluice[%ld]: ", (long)getpid());
	assert_memory_equal(p, want, strlen(want));
	return p + strlen(want);
}

static void
test_sink_syslog(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s;
	char p[PATH_MAX], err[128], buf[JBUF], line[JBUF];
	struct sl_flowrec r = tcp4_rec();
	const char *body;
	json_t *j;
	int rx;

	dpath(d, "log.sock", p, sizeof(p));
	rx = rx_bind(p);
	assert_int_equal(sl_sink_open(SL_SINK_SYSLOG, p, LOG_LOCAL0, &s, err, sizeof(err)), 0);
	assert_true(sl_flowrec_json(&r, line, sizeof(line)) > 0);
	assert_int_equal(sink_puts(s, line), 0);
	rx_one(rx, buf, sizeof(buf));
	body = check_syslog_header(buf, LOG_LOCAL0 | LOG_INFO); /* <134> */
	assert_string_equal(body, line);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(jstr(j, "community_id"), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	json_decref(j);
	assert_rx_empty(rx);
	sl_sink_close(s);

	/* another facility; one record per datagram */
	assert_int_equal(sl_sink_open(SL_SINK_SYSLOG, p, LOG_DAEMON, &s, err, sizeof(err)), 0);
	assert_int_equal(sink_puts(s, "{\"a\":1}"), 0);
	assert_int_equal(sink_puts(s, "{\"b\":2}"), 0);
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(check_syslog_header(buf, LOG_DAEMON | LOG_INFO), "{\"a\":1}");
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(check_syslog_header(buf, LOG_DAEMON | LOG_INFO), "{\"b\":2}");
	close(rx);
	rx = -1;
	{
		int rc = sink_puts(s, "{}");

		assert_true(rc == -ECONNREFUSED || rc == -ENOTCONN || rc == -ENOENT);
	}
	sl_sink_close(s);
	unlink(p);
}

/* Many records in one sendmmsg(): one datagram each; a full receiver
 * stops the batch at the first refused one and says how many went. */
static void
test_sink_unix_lines(void **state)
{
	struct dir *d = *state;
	struct sl_sink *s;
	char p[PATH_MAX], err[128], buf[JBUF];
	static char big[150 * 8];
	unsigned int n = 0, total = 0;
	int rx, rc;

	dpath(d, "rxl.sock", p, sizeof(p));
	rx = rx_bind(p);
	assert_int_equal(sl_sink_open(SL_SINK_UNIX_DGRAM, p, 0, &s, err, sizeof(err)), 0);
	assert_int_equal(sl_sink_write_lines(s, "a\nbb\n\nccc\n", 10, &n), 0);
	assert_int_equal(n, 4);
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "a");
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "bb");
	assert_int_equal(rx_one(rx, buf, sizeof(buf)), 0); /* an empty line is an empty datagram */
	rx_one(rx, buf, sizeof(buf));
	assert_string_equal(buf, "ccc");
	assert_rx_empty(rx);
	/* 150 lines per call (more than one sendmmsg batch) until the receiver is full */
	for (int i = 0; i < 150; i++)
		memcpy(big + i * 8, "record.\n", 8);
	do {
		rc = sl_sink_write_lines(s, big, sizeof(big), &n);
		total += n;
		assert_true(n <= 150);
	} while (rc == 0 && total < 1000000);
	assert_int_equal(rc, -EAGAIN);
	for (unsigned int i = 0; i < total; i++)
		assert_int_equal(rx_one(rx, buf, sizeof(buf)), 7);
	assert_rx_empty(rx);
	close(rx);
	rc = sl_sink_write_lines(s, "x\n", 2, &n);
	assert_true(rc == -ECONNREFUSED || rc == -ENOTCONN);
	unlink(p);
	assert_int_equal(sl_sink_write_lines(s, "x\n", 2, &n), -ENOENT);
	assert_int_equal(n, 0);
	sl_sink_close(s);
}

/* Random records: the allocation-free formatter writes exactly what the
 * jansson reference wrote, with and without a context, down to -ENOSPC. */
static void
test_format_matches_reference(void **state)
{
	static const char *const names[] = { "acme", "a\"b\\c", "tab\there", "\x01\x1f\x7f",
					     "caf\xc3\xa9", "\xe2\x82\xac\xf0\x9f\x98\x80",
					     "nl\nr\rb\bf\f", "/slash/", "" };
	struct sl_flowrec_ctx *ctx;
	uint64_t x = 88172645463325252ull;
	char want[JBUF], got[JBUF], got2[JBUF];

	(void)state;
	assert_int_equal(sl_flowrec_ctx_new(&ctx), 0);
	for (int i = 0; i < 20000; i++) {
		struct sl_flowrec r;
		uint64_t v[24];

		for (int k = 0; k < 24; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v[k] = x;
		}
		memset(&r, 0, sizeof(r));
		r.start_us = v[0] % 4102444800000000ull; /* before 2100 */
		r.end_us = r.start_us + v[1] % 100000000000ull;
		if (i % 97 == 0)
			r.end_us = r.start_us = v[1]; /* any 64-bit time */
		r.tenant_id = (uint16_t)v[2];
		r.tenant = v[3] % 5 ? names[v[3] % 9] : NULL;
		r.n_vlan = (uint8_t)(v[4] % 3);
		r.vlan[0] = (uint16_t)(v[4] >> 8) % 4095;
		r.vlan[1] = (uint16_t)(v[4] >> 24) % 4095;
		r.tunnel_id = v[5] % 3 ? 0 : (uint32_t)v[5];
		r.family = (uint8_t[]){ 0, 4, 6 }[v[6] % 3];
		r.proto = (uint8_t[]){ 6, 17, 132, 1, 58, 47, 0, 255 }[v[7] % 8];
		r.sport = (uint16_t)v[8];
		r.dport = (uint16_t)(v[8] >> 16);
		memcpy(r.src, &v[9], 8);
		memcpy(r.src + 8, &v[10], 8);
		memcpy(r.dst, &v[11], 8);
		memcpy(r.dst + 8, &v[12], 8);
		r.pkts_toserver = v[13] % 2 ? v[13] : v[13] % 1000; /* above INT64_MAX too */
		r.pkts_toclient = v[14] % 100000;
		r.bytes_toserver = v[15];
		r.bytes_toclient = v[16] % 1000000;
		r.fwd_pkts = v[17] % 7;
		r.fwd_bytes = v[17];
		r.bypass_pkts = v[18] % 3;
		r.bypass_bytes = v[18] >> 3;
		r.drop_pkts = v[19] % 2;
		r.drop_bytes = v[19] >> 40;
		r.pool = v[20] % 4 ? names[v[20] % 9] : NULL;
		r.member = v[20] % 5 ? (int32_t)(v[20] % 300) : -1;
		r.action = v[21] % 3 ? "forward" : NULL;
		r.rule = v[21] % 5 ? names[(v[21] >> 8) % 9] : NULL;
		r.reason = v[22] % 4 ? "timeout" : NULL;
		r.elephant = v[22] & 16;
		r.bypassed = v[22] & 32;
		r.tcp_flags_ts = (uint8_t)v[23];
		r.tcp_flags_tc = (uint8_t)(v[23] >> 8);
		r.community_id_seed = (uint16_t)(v[23] >> 16);
		r.app_proto = v[23] % 3 ? NULL : names[(v[23] >> 24) % 9];
		r.app_category = v[23] % 5 ? NULL : names[(v[23] >> 32) % 9];
		r.sni = v[23] % 7 ? NULL : names[(v[23] >> 40) % 9];

		int n = ref_flowrec_json(&r, want, sizeof(want));

		assert_true(n > 0);
		if (sl_flowrec_json(&r, got, sizeof(got)) != n)
			fail_msg("record %d:\n got %s\nwant %s", i, got, want);
		if (strcmp(got, want) != 0)
			fail_msg("record %d:\n got %s\nwant %s", i, got, want);
		assert_int_equal(sl_flowrec_format(ctx, &r, got2, sizeof(got2)), n);
		assert_string_equal(got2, want);
		/* one byte short (no room for the NUL) and exactly enough */
		assert_int_equal(sl_flowrec_format(ctx, &r, got2, (size_t)n), -ENOSPC);
		assert_int_equal(sl_flowrec_format(ctx, &r, got2, (size_t)n + 1), n);
		if (i % 50 == 0)
			for (int cut = 0; cut < n; cut += 7)
				assert_int_equal(sl_flowrec_format(ctx, &r, got2, (size_t)cut), -ENOSPC);
	}
	/* an invalid string is refused by both */
	struct sl_flowrec r = tcp4_rec();

	r.tenant = "\xc3";
	assert_int_equal(ref_flowrec_json(&r, want, sizeof(want)), -EINVAL);
	assert_int_equal(sl_flowrec_format(ctx, &r, got, sizeof(got)), -EINVAL);
	sl_flowrec_ctx_free(ctx);
	sl_flowrec_ctx_free(NULL);
	assert_int_equal(sl_flowrec_ctx_new(NULL), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cid_vectors),
		cmocka_unit_test(test_cid_errors),
		cmocka_unit_test(test_cid_symmetry),
		cmocka_unit_test(test_json_tcp4),
		cmocka_unit_test(test_json_udp6),
		cmocka_unit_test(test_json_icmp),
		cmocka_unit_test(test_json_non_ip),
		cmocka_unit_test(test_json_omitted),
		cmocka_unit_test(test_json_app),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_format_matches_reference),
		cmocka_unit_test(test_sink_names),
		cmocka_unit_test_setup_teardown(test_sink_args, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_sink_file, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_sink_file_short_write, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_sink_file_lines, dir_setup, dir_teardown),
		cmocka_unit_test(test_write_lines_fd),
		cmocka_unit_test_setup_teardown(test_sink_unix, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_sink_unix_lines, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_sink_syslog, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
