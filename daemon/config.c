/*
 * config.c - reads taphop.conf with libinih into struct daemon_config.
 */
#include "daemon/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replicas/err.h"

#include "replicas/banned.h"

struct parse {
	struct daemon_config *c;
	int rc;
};

static int set_text(char *dst, size_t n, const char *section,
		    const char *name, const char *value)
{
	if (strlen(value) >= n)
		return err_set(ERR_INVALID, "[%s] %s: value longer than %zu "
			       "characters", section, name, n - 1);
	snprintf(dst, n, "%s", value);
	return 0;
}

static int set_int(int *dst, const char *section, const char *name,
		   const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		return err_set(ERR_INVALID, "[%s] %s: '%s' is not a whole "
			       "number from %ld to %ld", section, name, value,
			       min, max);
	*dst = (int)v;
	return 0;
}

#define IS(s, n) (strcmp(section, s) == 0 && strcmp(name, n) == 0)
#define TEXT(field) set_text(c->field, sizeof(c->field), section, name, value)

static int on_key(void *user, const char *section, const char *name,
		  const char *value)
{
	struct parse *p = user;
	struct daemon_config *c = p->c;
	int rc;

	if (p->rc < 0)
		return 0;
	if (IS("node", "code"))
		rc = TEXT(code);
	else if (IS("node", "role"))
		rc = TEXT(role);
	else if (IS("node", "district"))
		rc = TEXT(district);
	else if (IS("hub", "endpoint"))
		rc = TEXT(hub_endpoint);
	else if (IS("hub", "transport_key"))
		rc = TEXT(hub_transport_key);
	else if (IS("hub", "sign_key"))
		rc = TEXT(hub_sign_key);
	else if (IS("daemon", "listen"))
		rc = TEXT(listen);
	else if (IS("daemon", "log_level"))
		rc = log_level_parse(value, &c->log_level);
	else if (IS("daemon", "heartbeat_ms"))
		rc = set_int(&c->heartbeat_ms, section, name, value, 50,
			     600000);
	else if (IS("daemon", "window"))
		rc = set_int(&c->window, section, name, value, 1, 100000);
	else if (IS("daemon", "batch"))
		rc = set_int(&c->batch, section, name, value, 1, 10000);
	else if (IS("daemon", "cache_mb"))
		rc = set_int(&c->cache_mb, section, name, value, 2, 65536);
	else if (strcmp(section, "node") == 0 || strcmp(section, "hub") == 0 ||
		 strcmp(section, "daemon") == 0)
		rc = err_set(ERR_INVALID, "[%s] %s: unknown key", section,
			     name);
	else
		rc = 0; /* other modules' sections (e.g. [archive]) */
	if (rc < 0) {
		p->rc = rc;
		return 0;
	}
	return 1;
}

int config_load(struct daemon_config *out, const char *path)
{
	struct daemon_config c;
	struct parse p = { &c, 0 };
	int line;

	memset(&c, 0, sizeof(c));
	snprintf(c.listen, sizeof(c.listen), "tcp://0.0.0.0:7400");
	c.log_level = LOG_INFO;
	c.heartbeat_ms = 5000;
	c.window = 512;
	c.batch = 128;
	line = ini_parse(path, on_key, &p);
	if (line == -1)
		return err_set(ERR_IO, "cannot read '%s': %s", path,
			       strerror(errno));
	if (line == -2)
		return err_set(ERR_NOMEM, "out of memory reading '%s'", path);
	if (p.rc < 0)
		return err_wrap(p.rc, "'%s'", path);
	if (line > 0)
		return err_set(ERR_INVALID, "'%s': line %d is not valid INI",
			       path, line);
	if (c.batch > c.window)
		c.batch = c.window;
	*out = c;
	return 0;
}
