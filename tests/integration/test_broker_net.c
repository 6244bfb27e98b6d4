/* The network broker end to end, without the cage: real clients (curl,
 * python, a static C client, epoll and asyncio) in their own network
 * namespace reach an allowed server on the host's 127.0.0.1 only through
 * the relay; every other port, UDP, listen() and MSG_FASTOPEN reach
 * nothing on the host; a thread racing the sockaddr never gets through.
 * Loopback traffic only. */
#include "tests/integration/broker_harness.h"

#define PYTHON "/usr/bin/python3"
#define CURL   "/usr/bin/curl"

struct two {
	struct srv ok, bad;
	char okp[8], badp[8];
	struct cage c;
};

static struct two *setup(void)
{
	struct two *t = calloc(1, sizeof(*t));

	cr_assert_not_null(t);
	srv_start(&t->ok);
	srv_start(&t->bad);
	snprintf(t->okp, sizeof(t->okp), "%u", (unsigned)t->ok.port);
	snprintf(t->badp, sizeof(t->badp), "%u", (unsigned)t->bad.port);
	cage_policy(&t->c, t->ok.port);
	return t;
}

static void teardown(struct two *t)
{
	srv_stop(&t->ok);
	srv_stop(&t->bad);
	cr_assert_eq(t->bad.accepted, 0, "the forbidden port was reached");
	free(t);
}

static const char *client(char *buf, size_t size, bool static_build)
{
	return test_build_path(static_build ? "tests/static/broker_client"
					    : "tests/helpers/broker_client",
			       buf, size);
}

Test(broker_net, curl_allowed_and_refused, .timeout = 30)
{
	struct two *t = setup();
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%s/", t->okp);
	char *ok[] = {CURL, "-sS", "--max-time", "5", url, NULL};

	cr_assert_eq(cage_run(&t->c, ok), 0, "%s", t->c.outbuf);
	cr_assert_str_eq(t->c.outbuf, "hello");
	cr_assert_eq(t->ok.accepted, 1);
	char dest[32];

	snprintf(dest, sizeof(dest), "127.0.0.1:%s", t->okp);
	cr_assert_eq(cage_count(&t->c, BROKER_EV_CONNECT, "allow",
				"security.allowed_endpoints", dest),
		     1);
	cr_assert_eq(
	    cage_count(&t->c, BROKER_EV_RELAY_CLOSE, "allow", NULL, NULL), 1);
	cr_assert_gt(t->c.recs[t->c.n - 1].up, 0);
	cr_assert_eq(t->c.recs[t->c.n - 1].down, 43, "bytes down counted");

	struct cage c2 = {0};

	cage_policy(&c2, t->ok.port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%s/", t->badp);
	char *bad[] = {CURL, "-sS", "--max-time", "5", url, NULL};

	/* Not an allowed endpoint: 127.0.0.1 is then the cage's own lo,
	 * where nothing listens; the host's server is never reached. */
	cr_assert_eq(cage_run(&c2, bad), 7, "curl: couldn't connect");
	cr_assert_eq(cage_count(&c2, BROKER_EV_CONNECT, "continue",
				"cage-loopback", t->badp),
		     1);
	teardown(t);
}

Test(broker_net, python_create_connection, .timeout = 30)
{
	struct two *t = setup();
	char code[512];

	snprintf(code, sizeof(code),
		 "import socket\n"
		 "s = socket.create_connection(('127.0.0.1', %s), timeout=5)\n"
		 "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n"
		 "print(s.recv(100).split(b'\\r\\n\\r\\n')[1].decode())\n"
		 "for a in ('127.0.0.1', '192.0.2.1', '::ffff:192.0.2.1'):\n"
		 "    try:\n"
		 "        socket.create_connection((a, %s), timeout=5)\n"
		 "    except ConnectionRefusedError:\n"
		 "        print('refused')\n",
		 t->okp, t->badp);
	char *argv[] = {PYTHON, "-c", code, NULL};

	cr_assert_eq(cage_run(&t->c, argv), 0, "%s", t->c.outbuf);
	cr_assert_str_eq(t->c.outbuf, "hello\nrefused\nrefused\nrefused\n");
	/* 192.0.2.1 (TEST-NET-1, never routed) is refused by the broker
	 * itself, before any packet: the audit names the rule. */
	cr_assert_eq(cage_count(&t->c, BROKER_EV_CONNECT, "deny",
				"security.allowed_endpoints", "192.0.2.1"),
		     2);
	for (unsigned i = 0; i < t->c.n; i++) {
		if (!strcmp(t->c.recs[i].decision, "deny"))
			cr_assert_eq(t->c.recs[i].error, ECONNREFUSED);
	}
	teardown(t);
}

Test(broker_net, python_asyncio_nonblocking, .timeout = 30)
{
	struct two *t = setup();
	char code[512];

	snprintf(code, sizeof(code),
		 "import asyncio\n"
		 "async def main():\n"
		 "    r, w = await asyncio.open_connection('127.0.0.1', %s)\n"
		 "    w.write(b'GET / HTTP/1.0\\r\\n\\r\\n')\n"
		 "    data = await r.read()\n"
		 "    print(data.split(b'\\r\\n\\r\\n')[1].decode())\n"
		 "    try:\n"
		 "        await asyncio.open_connection('127.0.0.1', %s)\n"
		 "    except ConnectionRefusedError:\n"
		 "        print('refused')\n"
		 "asyncio.run(main())\n",
		 t->okp, t->badp);
	char *argv[] = {PYTHON, "-c", code, NULL};

	cr_assert_eq(cage_run(&t->c, argv), 0, "%s", t->c.outbuf);
	cr_assert_str_eq(t->c.outbuf, "hello\nrefused\n");
	teardown(t);
}

static void run_client(struct two *t, bool static_build, const char *mode,
		       const char *port, int want_rc, const char *want_out)
{
	char bin[512];
	char *argv[] = {(char *)client(bin, sizeof(bin), static_build),
			(char *)mode, (char *)port, NULL};
	struct cage c = {0};

	cage_policy(&c, t->ok.port);
	cr_assert_eq(cage_run(&c, argv), want_rc, "%s %s: %s", mode, port,
		     c.outbuf);
	cr_assert_str_eq(c.outbuf, want_out, "%s %s", mode, port);
}

Test(broker_net, static_binary_brokered_the_same, .timeout = 30)
{
	struct two *t = setup();

	for (int s = 0; s < 2; s++) {
		run_client(t, s, "connect", t->okp, 0,
			   "connect=0\nreply=hello\n");
		run_client(t, s, "connect", t->badp, 1,
			   "connect=ECONNREFUSED\n");
	}
	run_client(t, true, "connect6", t->okp, 0, "connect=0\nreply=hello\n");
	cr_assert_eq(t->ok.accepted, 3);
	teardown(t);
}

Test(broker_net, epoll_registered_before_nonblocking_connect, .timeout = 30)
{
	struct two *t = setup();

	run_client(t, false, "epoll", t->okp, 0,
		   "nonblock=EINPROGRESS\nepollout=0\nso_error=0\n"
		   "epollin=0\nreply=hello\n");
	teardown(t);
}

Test(broker_net, fastopen_and_udp_reach_nothing, .timeout = 30)
{
	struct two *t = setup();
	/* A host UDP socket on the allowed port's number. */
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(t->ok.port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	cr_assert_eq(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);
	run_client(t, false, "fastopen", t->okp, 0, "fastopen=EOPNOTSUPP\n");
	run_client(t, false, "fastopen", t->badp, 0, "fastopen=EOPNOTSUPP\n");
	run_client(t, false, "udp", t->okp, 0, "udp=EACCES\n");
	struct pollfd p = {.fd = u, .events = POLLIN};

	cr_assert_eq(poll(&p, 1, 200), 0, "a datagram reached the host");
	cr_assert_eq(t->ok.accepted, 0, "fast open connected");
	close(u);
	teardown(t);
}

Test(broker_net, listen_in_cage_is_not_on_host, .timeout = 30)
{
	struct two *t = setup();
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char port[8], bin[512];

	/* A port free on the host right now. */
	cr_assert_eq(bind(probe, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(probe, (struct sockaddr *)&a, &len), 0);
	close(probe);
	snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a.sin_port));
	char *argv[] = {(char *)client(bin, sizeof(bin), false), "listen", port,
			NULL};

	cage_start(&t->c, argv, NULL, 0);
	cr_assert(cage_read_until(&t->c, "listen=0\n"), "%s", t->c.outbuf);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_neq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		      "the cage's listener is reachable from the host");
	cr_assert_eq(errno, ECONNREFUSED);
	close(fd);
	cr_assert_eq(cage_finish(&t->c), 0);
	cr_assert_str_eq(t->c.outbuf, "listen=0\naccepted=no\n");
	teardown(t);
}

Test(broker_net, toctou_sockaddr_race_never_reaches_forbidden, .timeout = 60)
{
	struct two *t = setup();
	char bin[512];
	char *argv[] = {(char *)client(bin, sizeof(bin), false),
			"race",
			t->okp,
			t->badp,
			"300",
			NULL};
	unsigned good = 0, refused = 0, other = 0;

	cr_assert_eq(cage_run(&t->c, argv), 0);
	cr_assert_eq(sscanf(t->c.outbuf, "race good=%u refused=%u other=%u",
			    &good, &refused, &other),
		     3, "%s", t->c.outbuf);
	cr_assert_eq(good + refused + other, 300);
	cr_assert_gt(good, 0, "the allowed port was reachable: %s",
		     t->c.outbuf);
	/* Every brokered connection dialled the allowed port. */
	cr_assert_eq(
	    cage_count(&t->c, BROKER_EV_CONNECT, "allow", NULL, t->badp), 0);
	usleep(100000);
	teardown(t); /* asserts the forbidden server accepted nothing */
}

Test(broker_net, isolated_policy_refuses_even_localhost_services, .timeout = 30)
{
	struct two *t = setup();
	char bin[512];
	char *argv[] = {(char *)client(bin, sizeof(bin), false), "connect",
			t->okp, NULL};
	struct cage c = {0};

	cage_policy(&c, 0);
	/* On the cage's own lo nothing listens: refused in-kernel. */
	cr_assert_eq(cage_run(&c, argv), 1);
	cr_assert_str_eq(c.outbuf, "connect=ECONNREFUSED\n");
	cr_assert_eq(t->ok.accepted, 0);
	teardown(t);
}

/* The relay listens on the cage's own loopback, where the agent can see
 * it (/proc/net/tcp): a direct connect to it is refused by the broker. */
Test(broker_net, relay_port_refused_to_the_agent, .timeout = 30)
{
	struct two *t = setup();
	static const char code[] =
	    "import socket\n"
	    "ports = []\n"
	    "for name in ('/proc/net/tcp', '/proc/net/tcp6'):\n"
	    "    for line in open(name).readlines()[1:]:\n"
	    "        f = line.split()\n"
	    "        if f[3] == '0A':\n"
	    "            ports.append((name, int(f[1].split(':')[1], 16)))\n"
	    "print(len(ports))\n"
	    "for name, p in ports:\n"
	    "    a = '::1' if name.endswith('6') else '127.0.0.1'\n"
	    "    try:\n"
	    "        socket.create_connection((a, p), timeout=5)\n"
	    "        print('connected')\n"
	    "    except ConnectionRefusedError:\n"
	    "        print('refused')\n";
	char *argv[] = {PYTHON, "-c", (char *)code, NULL};

	cr_assert_eq(cage_run(&t->c, argv), 0, "%s", t->c.outbuf);
	cr_assert(!strncmp(t->c.outbuf, "1\nrefused\n", 10) ||
		      !strcmp(t->c.outbuf, "2\nrefused\nrefused\n"),
		  "%s", t->c.outbuf);
	cr_assert_geq(cage_count(&t->c, BROKER_EV_CONNECT, "deny",
				 "broker.relay-port", NULL),
		      1);
	teardown(t);
}
