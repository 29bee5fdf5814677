#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""notify_listen.py SOCKET LOG [SECONDS] - systemd's side of sd_notify(3),
as far as a service's main process is concerned: receives the datagrams on
the unix socket SOCKET (the daemon's NOTIFY_SOCKET) with the sender's
credentials, and writes one line per event to LOG, in the order systemd
handles them (a message before the exit of a process that sent it earlier,
as systemd dispatches its notify socket before SIGCHLD):

    msg PID READY=1|STATUS=...      a message, its fields joined by |
    exit PID                        a process that sent a message has exited

It follows MAINPID= from any sender (the test checks who may send) and writes
"main PID" each time the main process changes, "main-exit PID" when the
main process exits while it is the main process (the service would stop).
Runs SECONDS (default 120) at most, or until SIGTERM."""
import os
import select
import signal
import socket
import struct
import sys
import time


def drain(sock, log, poller, watched, main_pid):
    """Every message waiting; returns the main PID after them."""
    while True:
        try:
            data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12), socket.MSG_DONTWAIT)
        except BlockingIOError:
            return main_pid
        pid = None
        for level, kind, blob in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", blob[:12])[0]
        fields = data.decode(errors="replace").strip().split("\n")
        log.write("msg %s %s\n" % (pid, "|".join(fields)))
        if pid and pid not in watched.values():
            try:
                pfd = os.pidfd_open(pid)
                watched[pfd] = pid
                poller.register(pfd, select.POLLIN)
            except OSError:
                pass
        for f in fields:
            if f.startswith("MAINPID="):
                main_pid = int(f[8:])
                log.write("main %d\n" % main_pid)
        if main_pid is None and "READY=1" in fields:
            main_pid = pid
            log.write("main %d\n" % main_pid)


def main():
    path, log_path = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(path)
    os.chmod(path, 0o666)      # as systemd's: the service's user sends
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log = open(log_path, "a", buffering=1)
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    watched = {}                # pidfd -> pid
    main_pid = None
    end = time.monotonic() + limit
    while time.monotonic() < end:
        events = poller.poll(200)
        # messages first: what a process sent before it exited counts
        for fd, _ in sorted(events, key=lambda e: e[0] != sock.fileno()):
            if fd == sock.fileno():
                main_pid = drain(sock, log, poller, watched, main_pid)
            elif fd in watched:
                pid = watched.pop(fd)
                poller.unregister(fd)
                os.close(fd)
                log.write("exit %d\n" % pid)
                if pid == main_pid:
                    log.write("main-exit %d\n" % pid)
                    main_pid = None


if __name__ == "__main__":
    main()
