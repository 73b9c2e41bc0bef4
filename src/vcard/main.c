/* careid-vcard: a virtual Care Identity card in a vpcd virtual reader.
 *
 * The process is the card; the TCP connection to the reader driver is its
 * presence in the reader.  Tests pull and re-insert the card with SIGUSR1
 * (or --remove-after), and stop it with SIGTERM; the chip contents are in
 * the state file, which is already up to date after every APDU. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "policy/policy.h"
#include "vcard/vcard.h"
#include "vcard/vpcd_link.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t toggle_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_toggle(int sig)
{
	(void)sig;
	toggle_flag = 1;
}

struct options {
	const char *host;
	const char *port;
	const char *state;
	const char *apdu_log;
	const char *count_file;
	const char *pidfile;
	unsigned long remove_after;
	bool once;
	bool start_removed;
	bool create_only;
	struct vc_fresh_opts fresh;
	uint8_t mgmt[32];
};

static void usage(FILE *f)
{
	fputs(
"Usage: careid-vcard --state FILE [options]\n"
"A virtual Care Identity (PIV-compatible) card for the vpcd reader driver.\n"
"\n"
"  --state FILE        card memory (required); created as a fresh card if missing\n"
"  --host H            vpcd address (default 127.0.0.1)\n"
"  --port N            vpcd port (default 35963)\n"
"  --once              exit when the reader closes the connection instead of\n"
"                      reconnecting\n"
"  --removed           start with the card out of the reader (SIGUSR1 inserts it)\n"
"  --remove-after N    pull the card after serving N APDUs (SIGUSR1 re-inserts it)\n"
"  --apdu-log FILE     append '> command' / '< response SW' lines (secrets masked)\n"
"  --count-file FILE   rewrite FILE with the number of APDUs served after each one\n"
"  --pidfile FILE      write the process id to FILE\n"
"  --create-only       create the state file (if missing) and exit\n"
"Fresh card only (ignored when the state file exists):\n"
"  --pin DIGITS        user PIN, 6-8 digits (default 123456)\n"
"  --puk DIGITS        PUK, 6-8 digits (default 12345678)\n"
"  --mgmt-key HEX      management key (default: the well-known 3DES test key)\n"
"  --mgmt-alg ALG      3des | aes128 | aes192 | aes256 (default 3des)\n"
"  --uuid DIGITS       12-digit Care Identity UUID (default: random)\n"
"  --serial N          card serial number (default: random)\n"
"  --compress-certs    store the certificates gzip-compressed (CertInfo 01),\n"
"                      as many issued PIV cards do\n"
"  --help              this text\n"
"  --version           the careid version, then exit\n"
"\n"
"Signals: SIGUSR1 toggles removed/inserted; SIGTERM and SIGINT exit cleanly.\n",
	      f);
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t sl = strlen(s);

	if (sl % 2 != 0 || sl / 2 > cap)
		return -1;
	for (size_t i = 0; i < sl / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	*n = sl / 2;
	return 0;
}

static int parse_alg(const char *s, uint8_t *alg)
{
	if (strcmp(s, "3des") == 0) *alg = ALG_3DES;
	else if (strcmp(s, "aes128") == 0) *alg = ALG_AES128;
	else if (strcmp(s, "aes192") == 0) *alg = ALG_AES192;
	else if (strcmp(s, "aes256") == 0) *alg = ALG_AES256;
	else return -1;
	return 0;
}

static bool all_digits(const char *s, size_t want)
{
	if (strlen(s) != want)
		return false;
	for (size_t i = 0; i < want; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { O_HOST = 256, O_PORT, O_STATE, O_ONCE, O_REMOVED, O_REMOVE_AFTER, O_LOG,
	       O_COUNT, O_PIDFILE, O_CREATE, O_PIN, O_PUK, O_MKEY, O_MALG, O_UUID, O_SERIAL,
	       O_COMPRESS, O_HELP, O_VERSION };
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, O_HOST },
		{ "port", required_argument, NULL, O_PORT },
		{ "state", required_argument, NULL, O_STATE },
		{ "once", no_argument, NULL, O_ONCE },
		{ "removed", no_argument, NULL, O_REMOVED },
		{ "remove-after", required_argument, NULL, O_REMOVE_AFTER },
		{ "apdu-log", required_argument, NULL, O_LOG },
		{ "count-file", required_argument, NULL, O_COUNT },
		{ "pidfile", required_argument, NULL, O_PIDFILE },
		{ "create-only", no_argument, NULL, O_CREATE },
		{ "pin", required_argument, NULL, O_PIN },
		{ "puk", required_argument, NULL, O_PUK },
		{ "mgmt-key", required_argument, NULL, O_MKEY },
		{ "mgmt-alg", required_argument, NULL, O_MALG },
		{ "uuid", required_argument, NULL, O_UUID },
		{ "serial", required_argument, NULL, O_SERIAL },
		{ "compress-certs", no_argument, NULL, O_COMPRESS },
		{ "help", no_argument, NULL, O_HELP },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *mkey = NULL;
	uint8_t block[8];
	char *end;
	int ch;

	o->host = "127.0.0.1";
	o->port = "35963";
	o->fresh.mgmt_alg = ALG_3DES;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_HOST: o->host = optarg; break;
		case O_PORT: o->port = optarg; break;
		case O_STATE: o->state = optarg; break;
		case O_ONCE: o->once = true; break;
		case O_REMOVED: o->start_removed = true; break;
		case O_REMOVE_AFTER:
			o->remove_after = strtoul(optarg, &end, 10);
			if (*end != '\0' || o->remove_after == 0) {
				fprintf(stderr, "careid-vcard: --remove-after needs a positive number\n");
				return -1;
			}
			break;
		case O_LOG: o->apdu_log = optarg; break;
		case O_COUNT: o->count_file = optarg; break;
		case O_PIDFILE: o->pidfile = optarg; break;
		case O_CREATE: o->create_only = true; break;
		case O_PIN: o->fresh.pin = optarg; break;
		case O_PUK: o->fresh.puk = optarg; break;
		case O_MKEY: mkey = optarg; break;
		case O_MALG:
			if (parse_alg(optarg, &o->fresh.mgmt_alg) != 0) {
				fprintf(stderr, "careid-vcard: unknown --mgmt-alg %s\n", optarg);
				return -1;
			}
			break;
		case O_UUID: o->fresh.uuid = optarg; break;
		case O_SERIAL:
			o->fresh.serial = (uint32_t)strtoul(optarg, &end, 10);
			if (*end != '\0' || o->fresh.serial == 0) {
				fprintf(stderr, "careid-vcard: bad --serial\n");
				return -1;
			}
			break;
		case O_COMPRESS: o->fresh.compress_certs = true; break;
		case O_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		case O_VERSION:
			printf("careid-vcard %s\n", CAREID_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->state == NULL) {
		fprintf(stderr, "careid-vcard: --state FILE is required\n");
		usage(stderr);
		return -1;
	}
	if ((o->fresh.pin && !vc_pin_block_from_text(o->fresh.pin, block)) ||
	    (o->fresh.puk && !vc_pin_block_from_text(o->fresh.puk, block))) {
		fprintf(stderr, "careid-vcard: PIN and PUK must be %d to %d digits\n",
			CID_POLICY_PIN_MIN_LEN, CID_POLICY_PIN_MAX_LEN);
		return -1;
	}
	if (o->fresh.uuid && !all_digits(o->fresh.uuid, CID_POLICY_UUID_DIGITS)) {
		fprintf(stderr, "careid-vcard: --uuid must be %d digits\n", CID_POLICY_UUID_DIGITS);
		return -1;
	}
	if (mkey != NULL) {
		size_t n = 0;

		if (parse_hex(mkey, o->mgmt, sizeof(o->mgmt), &n) != 0 ||
		    n != piv_mgmt_key_len(o->fresh.mgmt_alg)) {
			fprintf(stderr, "careid-vcard: --mgmt-key must be %zu bytes of hex for that algorithm\n",
				piv_mgmt_key_len(o->fresh.mgmt_alg));
			return -1;
		}
		o->fresh.mgmt_key = o->mgmt;
		o->fresh.mgmt_len = n;
	}
	return 0;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

enum link_end { LINK_LOST, LINK_PULLED, LINK_STOP };

/* Serves one insertion of the card until the reader goes away, the card is
 * pulled, or the process is told to stop. */
static enum link_end serve_link(struct vc_card *c, int fd, const struct options *o,
				bool *count_pull_done)
{
	static uint8_t in[65536], outmem[VC_RESP_MAX + 2];
	struct vc_buf out;
	size_t n;

	for (;;) {
		if (stop_flag)
			return LINK_STOP;
		if (toggle_flag) {
			toggle_flag = 0;
			return LINK_PULLED;
		}
		if (o->remove_after != 0 && !*count_pull_done && c->apdu_count >= o->remove_after) {
			*count_pull_done = true;
			return LINK_PULLED;
		}
		switch (vpcd_recv(fd, in, sizeof(in), &n, 200)) {
		case 0:
			continue;
		case -1:
			return LINK_LOST;
		default:
			break;
		}
		if (n == 1) {
			const uint8_t *atr;
			size_t atrn;

			switch (in[0]) {
			case 0x00:
				vc_card_reset(c);
				vc_card_note(c, "power off");
				break;
			case 0x01:
				vc_card_reset(c);
				vc_card_note(c, "power on");
				break;
			case 0x02:
				vc_card_reset(c);
				vc_card_note(c, "reset");
				break;
			case 0x04:
				atrn = vc_atr(&atr);
				if (vpcd_send(fd, atr, atrn) != 0)
					return LINK_LOST;
				break;
			default:
				break;
			}
			continue;
		}
		if (n == 0)
			continue;
		vc_buf_init(&out, outmem, sizeof(outmem));
		vc_card_process(c, in, n, &out);
		if (vpcd_send(fd, out.p, out.len) != 0)
			return LINK_LOST;
	}
}

int main(int argc, char **argv)
{
	static struct vc_card card;
	struct options o;
	struct sigaction sa;
	bool removed, count_pull_done = false;
	int rc;

	memset(&o, 0, sizeof(o));
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	vc_card_init(&card);
	vc_state_init(&card.st, o.state);
	rc = vc_state_load(&card.st);
	if (rc < 0)
		return 1;
	if (rc == 0) {
		if (vc_fresh_card(&card.st, &o.fresh) != 0) {
			fprintf(stderr, "careid-vcard: cannot create a fresh card in %s\n", o.state);
			return 1;
		}
		fprintf(stderr, "careid-vcard: fresh card, UUID %s, serial %u\n",
			card.st.uuid, card.st.serial);
	}
	OPENSSL_cleanse(o.mgmt, sizeof(o.mgmt));
	if (o.create_only) {
		vc_state_free(&card.st);
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must wake the poll() in the serving loop. */
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_toggle;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (o.apdu_log != NULL) {
		card.apdu_log = fopen(o.apdu_log, "a");
		if (card.apdu_log == NULL) {
			fprintf(stderr, "careid-vcard: cannot open %s\n", o.apdu_log);
			return 1;
		}
	}
	card.count_file = o.count_file;
	if (o.pidfile != NULL) {
		FILE *pf = fopen(o.pidfile, "w");

		if (pf == NULL) {
			fprintf(stderr, "careid-vcard: cannot write %s\n", o.pidfile);
			return 1;
		}
		fprintf(pf, "%ld\n", (long)getpid());
		fclose(pf);
	}

	removed = o.start_removed;
	while (!stop_flag) {
		enum link_end end;
		int fd;

		if (toggle_flag) {
			toggle_flag = 0;
			removed = !removed;
			vc_card_note(&card, removed ? "card removed" : "card inserted");
		}
		if (removed) {
			pause_ms(100);
			continue;
		}
		fd = vpcd_connect(o.host, o.port);
		if (fd < 0) {
			pause_ms(200);
			continue;
		}
		vc_card_reset(&card);
		vc_card_note(&card, "connected");
		end = serve_link(&card, fd, &o, &count_pull_done);
		close(fd);
		vc_card_reset(&card);
		if (end == LINK_PULLED) {
			removed = true;
			vc_card_note(&card, "card removed");
		} else if (end == LINK_LOST) {
			vc_card_note(&card, "reader closed the connection");
			if (o.once)
				break;
			pause_ms(300);
		}
	}
	rc = vc_state_save(&card.st) == 0 ? 0 : 1;
	if (card.apdu_log != NULL)
		fclose(card.apdu_log);
	if (o.pidfile != NULL)
		unlink(o.pidfile);
	vc_state_free(&card.st);
	return rc;
}
