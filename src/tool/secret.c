/* Passcode input: a file's first line, or typed without echo on a
 * terminal; never an argument, so never in ps or the shell history. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tool/tool.h"

void tool_secret_wipe(tool_secret *s)
{
	explicit_bzero(s->buf, sizeof(s->buf));
	s->len = 0;
}

static int strip_line(tool_secret *s, size_t n)
{
	while (n > 0 && (s->buf[n - 1] == '\n' || s->buf[n - 1] == '\r'))
		n--;
	s->buf[n] = '\0';
	s->len = n;
	return 0;
}

static int from_file(tool_secret *s, const char *file, const char *opt)
{
	FILE *f = fopen(file, "re");
	int c;
	size_t n = 0;

	if (f == NULL) {
		tool_error("%s %s: %s", opt, file, strerror(errno));
		return EXIT_USAGE;
	}
	/* Unbuffered, so that no copy of the passcode stays in a stdio buffer. */
	setvbuf(f, NULL, _IONBF, 0);
	while ((c = fgetc(f)) != EOF && c != '\n') {
		if (n + 1 >= sizeof(s->buf)) {
			fclose(f);
			tool_secret_wipe(s);
			tool_error("%s %s: first line too long for a passcode", opt, file);
			return EXIT_USAGE;
		}
		s->buf[n++] = (char)c;
	}
	fclose(f);
	return strip_line(s, n);
}

static int from_terminal(tool_secret *s, const char *prompt, const char *opt)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+e");
	int rc = 0;

	if (tty == NULL || !isatty(fileno(tty))) {
		if (tty != NULL)
			fclose(tty);
		tool_error("no terminal to ask for the passcode: give %s FILE", opt);
		return EXIT_USAGE;
	}
	setvbuf(tty, NULL, _IONBF, 0);
	if (tcgetattr(fileno(tty), &old) != 0) {
		fclose(tty);
		tool_error("cannot set up the terminal: %s", strerror(errno));
		return EXIT_OTHER;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	fputs(prompt, tty);
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	if (fgets(s->buf, sizeof(s->buf), tty) == NULL) {
		tool_error("no passcode typed");
		rc = EXIT_USAGE;
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	if (rc != 0) {
		tool_secret_wipe(s);
		return rc;
	}
	return strip_line(s, strlen(s->buf));
}

int tool_secret_read(tool_secret *s, const char *file, const char *prompt, const char *opt)
{
	tool_secret_wipe(s);
	return file != NULL ? from_file(s, file, opt) : from_terminal(s, prompt, opt);
}

int tool_secret_new(tool_secret *s, const char *file, const char *what, const char *opt)
{
	tool_secret again;
	char prompt[96];
	int rc;

	if (file != NULL)
		return tool_secret_read(s, file, NULL, opt);
	snprintf(prompt, sizeof(prompt), "New %s: ", what);
	rc = tool_secret_read(s, NULL, prompt, opt);
	if (rc != 0)
		return rc;
	snprintf(prompt, sizeof(prompt), "New %s again: ", what);
	rc = tool_secret_read(&again, NULL, prompt, opt);
	if (rc == 0 && (again.len != s->len || memcmp(again.buf, s->buf, s->len) != 0)) {
		tool_error("the two new passcodes differ; nothing changed");
		rc = EXIT_USAGE;
	}
	tool_secret_wipe(&again);
	if (rc != 0)
		tool_secret_wipe(s);
	return rc;
}
