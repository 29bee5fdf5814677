#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""manpage_check.py - the man pages against what the binary says about itself.

  nfxdp.json(5) <-> `nfxdp config-keys`: every key has an entry (".TP",
      ".B KEY", then a facts line "TYPE (RANGE), default VALUE, applied on
      reload." / "needs a restart."), the facts say what the table says, and
      no entry names a key the table lacks.
  nfxdp(8) <-> `nfxdp --help` and `nfxdp COMMAND --help`: every command has
      a subsection "nfxdp COMMAND", every option of a command's help appears
      in its subsection and every option the subsection describes is in the
      help; the global options likewise; every [key] that `run --help` names
      is a configuration key.

Prints "ok NAME: ..." or one "FAIL NAME: ..." line per difference, naming
the key, command or option, and for a missing key the entry to paste.
Usage: manpage_check.py NFXDP MAN8 MAN5
"""
import re
import subprocess
import sys

OPT = re.compile(r'(?<![\w/-])(--?[A-Za-z][A-Za-z0-9-]*)')


def run(nfxdp, *args):
    p = subprocess.run([nfxdp, *args], capture_output=True, text=True)
    return p.stdout + p.stderr


def plain(line):
    """Roff text as it reads: escapes and font changes gone."""
    line = line.replace('\\-', '-').replace('\\&', '').replace('\\(aq', "'")
    line = re.sub(r'\\f[BIRP]|\\f\(..|\\f\[[^]]*\]', '', line)
    if line.startswith('.'):
        # .B/.BR/.BI/...: the arguments, quotes dropped, joined as rendered
        parts = re.findall(r'"((?:[^"]|"")*)"|(\S+)', line.split(None, 1)[1]
                           if ' ' in line else '')
        line = ''.join(a.replace('""', '"') if a or not b else b for a, b in parts)
    return line


def facts(k):
    """The facts line nfxdp.json(5) must have for one config-keys row."""
    name, typ, default, rng, reload = k
    text = typ if rng == '-' else '%s (%s)' % (typ, rng)
    if default == 'required':
        text += ', required'
    elif default == '-':
        text += ', no fixed default'
    else:
        text += ', default ' + default
    return text + (', needs a restart.' if reload == 'restart' else ', applied on reload.')


def man_entries(lines):
    """(term, following lines) of each .TP entry, in order."""
    out = []
    for i, l in enumerate(lines):
        if l.strip() == '.TP' and i + 1 < len(lines):
            body = []
            for m in lines[i + 2:]:
                if m.startswith(('.TP', '.SS', '.SH')):
                    break
                body.append(m)
            out.append((lines[i + 1], body))
    return out


def check_config(nfxdp, man5, fails):
    keys = [l.split('\t') for l in run(nfxdp, 'config-keys').splitlines() if l]
    keys = [k for k in keys if len(k) == 5]
    if not keys:
        fails.append('manpage-config: nfxdp config-keys printed no key')
        return 0
    lines = open(man5).read().splitlines()
    entries = {}
    for term, body in man_entries(lines):
        m = re.fullmatch(r'\.B (\S+)', term)
        if m:
            entries[m.group(1)] = plain(body[0]) if body else ''
    names = {k[0] for k in keys}
    for k in keys:
        want = facts(k)
        if k[0] not in entries:
            fails.append('manpage-config: %s has no entry in %s; add under KEYS:\n'
                         '    .TP\n    .B %s\n    %s\n    (what it does)'
                         % (k[0], man5, k[0], want))
        elif entries[k[0]] != want:
            fails.append('manpage-config: %s: %s says "%s", nfxdp config-keys "%s"'
                         % (k[0], man5, entries[k[0]], want))
    for name in entries:
        if name not in names and re.fullmatch(r'[a-z_.\[\]]+', name):
            fails.append('manpage-config: %s describes "%s", which is no configuration key'
                         % (man5, name))
    for key in re.findall(r'\[([a-z_.]+)\]', run(nfxdp, 'run', '--help')):
        if key not in names and key != 'key':
            fails.append('manpage-config: run --help names [%s], which is no configuration key'
                         % key)
    return len(keys)


def help_options(text):
    """Options of a --help text: its usage lines and its option lines."""
    opts = set()
    usage = True
    for l in text.splitlines():
        if not l.strip():
            usage = False
            continue
        if usage and (l.startswith('usage:') or l.startswith(' ')):
            opts.update(OPT.findall(l.split(':', 1)[1] if l.startswith('usage:') else l))
            continue
        usage = False
        m = re.match(r'\s{1,8}(-\w)?(?:,\s*)?(--[\w-]+)?', l)
        if m and (m.group(1) or m.group(2)):
            opts.update(o for o in m.groups() if o)
    return opts


def man_sections(lines):
    """{subsection or section title: its lines}, for .SS "nfxdp CMD" and OPTIONS."""
    secs, cur = {}, None
    for l in lines:
        m = re.match(r'\.S[SH] "?([^"]*)"?$', l)
        if m:
            cur = plain(m.group(1))
            secs[cur] = []
        elif cur:
            secs[cur].append(l)
    return secs


def man_options(body):
    """Options named by the .TP terms of a section."""
    opts = set()
    for term, _ in man_entries(body):
        opts.update(OPT.findall(plain(term)))
    return opts


def check_commands(nfxdp, man8, fails):
    top = run(nfxdp, '--help')
    block = top.split('commands:', 1)[-1].split('\n\n', 1)[0]
    cmds = re.findall(r'^  ([a-z][a-z-]+) ', block, re.M)
    secs = man_sections(open(man8).read().splitlines())
    nopts = 0
    for cmd in cmds:
        name = 'nfxdp ' + cmd
        if name not in secs:
            fails.append('manpage-help: %s has no subsection "%s" under COMMANDS' % (man8, name))
            continue
        want = help_options(run(nfxdp, cmd, '--help')) | {'-h', '--help'}
        text = ' '.join(plain(l) for l in secs[name])
        have = set(OPT.findall(text))
        described = man_options(secs[name])
        for o in sorted(want - have):
            fails.append('manpage-help: %s: option %s of --help is not in %s' % (name, o, man8))
        for o in sorted(described - want):
            fails.append('manpage-help: %s: %s describes %s, which --help does not list'
                         % (name, man8, o))
        nopts += len(want)
    for name in secs:
        if name.startswith('nfxdp ') and name[6:] not in cmds:
            fails.append('manpage-help: %s describes "%s", which nfxdp --help does not list'
                         % (man8, name))
    glob = help_options(top) | {'-h', '--help'}
    described = man_options(secs.get('OPTIONS', []))
    for o in sorted(glob ^ described):
        fails.append('manpage-help: global option %s is in %s' %
                     (o, 'nfxdp --help only' if o in glob else man8 + ' OPTIONS only'))
    return len(cmds), nopts + len(glob)


def main():
    nfxdp, man8, man5 = sys.argv[1:4]
    fails = []
    nkeys = check_config(nfxdp, man5, fails)
    ncmds, nopts = check_commands(nfxdp, man8, fails)
    for f in fails:
        print('FAIL ' + f)
    if not any(f.startswith('manpage-config') for f in fails):
        print('ok manpage-config: %d keys of nfxdp config-keys as in nfxdp.json(5)' % nkeys)
    if not any(f.startswith('manpage-help') for f in fails):
        print('ok manpage-help: %d commands, %d options of --help as in nfxdp(8)'
              % (ncmds, nopts))
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
