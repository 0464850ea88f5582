/*
 * config.h - taphopd's configuration: the INI file taphop.conf in the data
 * directory (libinih), then command-line overrides.
 *
 *   [node]    code, role (ward|hub), district      written by taphop init
 *   [hub]     endpoint       ward: where the hub listens, tcp://HOST:PORT
 *             transport_key  ward: the hub's X25519 public key (base64)
 *             sign_key       ward: the hub's ed25519 public key (base64)
 *   [daemon]  listen         hub: address to bind (default tcp://0.0.0.0:7400)
 *             log_level      error | warn | info | debug (default info)
 *             heartbeat_ms   ping interval (default 5000); 3 missed = dead
 *             window         change-sets in flight per direction (512)
 *             batch          change-sets per message (128)
 *             cache_mb       SQLite page cache of the sync connection, MB
 *                            (hub 128, ward 32): a district's indexes
 *
 * Unknown sections or keys are errors naming the line, so a typo never
 * silently falls back to a default.
 */
#ifndef TAPHOP_CONFIG_H
#define TAPHOP_CONFIG_H

#include "daemon/log.h"

#define CONFIG_TEXT_MAX 256

struct daemon_config {
	char code[64];
	char role[16];
	char district[64];
	char hub_endpoint[CONFIG_TEXT_MAX];
	char hub_transport_key[CONFIG_TEXT_MAX];
	char hub_sign_key[CONFIG_TEXT_MAX];
	char listen[CONFIG_TEXT_MAX];
	enum log_level log_level;
	int heartbeat_ms;
	int window;
	int batch;
	int cache_mb;  /* 0: the role's default */
};

/* Sets defaults, then reads path.  ERR_IO if it cannot be read,
 * ERR_INVALID naming the line and key for a bad value. */
int config_load(struct daemon_config *out, const char *path);

#endif
