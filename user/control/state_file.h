/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * state_file.h - the daemon's state file on disk (its bytes are
 * decode/dec_state.h's): one per daemon, STATE_DIR/IF.state or
 * STATE_DIR/udp-PORT.state, in a directory only the daemon's user may
 * enter (0700; the file 0600: exporter addresses and sampling rates are
 * not for other local users).  Written whole next to the old one, synced
 * and renamed over it, so a crash at any moment leaves the last complete
 * state.
 */
#ifndef NFX_STATE_FILE_H
#define NFX_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>

#define NFX_STATE_DIR		"/var/lib/nfxdp"
/* How often the running daemon writes its state (and at shutdown). */
#define NFX_STATE_INTERVAL_MS	5000

/*
 * nfx_state_dir_prepare() - make @dir (mode 0700) if it is missing.
 * @return 1 made now, 0 it was there, -errno (one line logged).
 */
int nfx_state_dir_prepare(const char *dir);

/* nfx_state_dir_writable() - 0 when the process can create files in @dir, else -errno (logged). */
int nfx_state_dir_writable(const char *dir);

/* The file of the daemon on @ifname (or, without, of UDP port @udp_port) in @dir. */
void nfx_state_file_path(char *buf, size_t len, const char *dir, const char *ifname,
			 uint16_t udp_port);

/*
 * @p[0..len) as the file at @path (0600): temporary file, fsync (@sync),
 * rename, directory fsync (@sync).  Without @sync the rename still makes it
 * whole for a reader, only a crash of the machine may lose it (a hand-over,
 * where a successor reads it at once and an fsync would stall the gap).
 */
int nfx_state_file_write(const char *path, const uint8_t *p, size_t len, int sync);

/**
 * nfx_state_file_read() - the bytes of @path into *@out (malloc'd), at
 * most NFX_STATE_MAX_BYTES.  Only a regular file owned by the process's
 * user or root that no one else may write is read.
 * @return 0; -ENOENT (no state yet); -EFBIG, -EPERM, -EINVAL or another
 *         -errno with *@why saying what is wrong.
 */
int nfx_state_file_read(const char *path, uint8_t **out, size_t *len, const char **why);

#endif /* NFX_STATE_FILE_H */
