#!/usr/bin/env python3
"""A stand-in for systemctl where systemd is not PID 1 (containers, CI).

DevStack drives services through `sudo systemctl` (its own devstack@ units,
the packaged ovsdb-server, ovs-vswitchd, ovn-central, ovn-controller);
tests/devstack/plugin_test.sh bind-mounts this script over systemctl inside
a private mount namespace so DevStack's real code runs unchanged. It reads the
real unit files and their drop-ins and does what systemd would for the
subset they use: Type=simple/forking/oneshot, ExecStart/ExecStop,
Environment(File), Requires/Wants, PartOf, ConditionPathExists, mask,
enable on units without [Install]. State lives in /run/systemctl-standin.
"""
import os
import re
import shlex
import signal
import subprocess
import sys
import time

UNIT_DIRS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
STATE = "/run/systemctl-standin"


def unit_path(unit):
    for d in UNIT_DIRS:
        if os.path.lexists(os.path.join(d, unit)):
            return os.path.join(d, unit)
    return None


def masked(unit):
    p = os.path.join(UNIT_DIRS[0], unit)
    return os.path.islink(p) and os.readlink(p) == "/dev/null"


def parse(unit):
    """Sections of the unit and its drop-ins: {section: [(key, value)]}."""
    files = [unit_path(unit)]
    for d in UNIT_DIRS:
        dropins = os.path.join(d, unit + ".d")
        if os.path.isdir(dropins):
            files += sorted(os.path.join(dropins, f) for f in os.listdir(dropins) if f.endswith(".conf"))
    sections, current = {}, None
    for path in files:
        with open(path) as f:
            text = re.sub(r"\\\n", " ", f.read())
        for line in text.splitlines():
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), [])
            elif "=" in line and current is not None:
                key, value = line.split("=", 1)
                current.append((key.strip(), value.strip()))
    return sections


def get(sections, section, key, default=None):
    values = [v for k, v in sections.get(section, []) if k == key]
    return values[-1] if values else default


def get_all(sections, section, key):
    return [v for k, v in sections.get(section, []) if k == key]


def state_file(unit, kind):
    return os.path.join(STATE, f"{unit}.{kind}")


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def main_pid(unit):
    try:
        with open(state_file(unit, "pid")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def is_active(unit):
    if not os.path.exists(state_file(unit, "active")):
        return False
    pid = main_pid(unit)
    return pid is None or alive(pid)


def environment(sections):
    env = dict(os.environ)
    for path in get_all(sections, "Service", "EnvironmentFile"):
        optional = path.startswith("-")
        path = path.lstrip("-")
        if not os.path.exists(path) and optional:
            continue
        with open(path) as f:
            for line in f:
                m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)", line)
                if m:
                    env[m.group(1)] = m.group(2).strip().strip('"')
    for value in get_all(sections, "Service", "Environment"):
        for assignment in shlex.split(value):
            key, _, val = assignment.partition("=")
            env[key] = val
    return env


def command(line, env):
    line = line.lstrip("-@+!").replace("%t", "/run")
    # systemd splits on spaces and expands $VAR to words, ${VAR} to one word.
    line = re.sub(r"\$\{(\w+)\}", lambda m: shlex.quote(env.get(m.group(1), "")), line)
    line = re.sub(r"\$(\w+)", lambda m: env.get(m.group(1), ""), line)
    return shlex.split(line)


def condition_met(sections):
    for path in get_all(sections, "Unit", "ConditionPathExists"):
        negate = path.startswith("!")
        if os.path.exists(path.lstrip("!")) == negate:
            return False
    return True


def refused(verb, unit):
    """systemctl's answer when a unit is masked or missing, else None."""
    problem = "is masked" if masked(unit) else "not found" if unit_path(unit) is None else None
    if problem:
        print(f"Failed to {verb} {unit}: Unit {unit} {problem}.", file=sys.stderr)
        return 1
    return None


def start(unit):
    if refused("start", unit):
        return 1
    if is_active(unit):
        return 0
    sections = parse(unit)
    for dep in " ".join(get_all(sections, "Unit", "Requires") + get_all(sections, "Unit", "Wants")).split():
        if start(dep) != 0 and dep in " ".join(get_all(sections, "Unit", "Requires")):
            return 1
    if not condition_met(sections):
        return 0  # systemd skips the unit: not an error
    env = environment(sections)
    kind = get(sections, "Service", "Type", "simple")
    log = open(os.path.join(STATE, unit + ".log"), "ab")
    for pre in get_all(sections, "Service", "ExecStartPre"):
        subprocess.run(command(pre, env), env=env, stdout=log, stderr=log)
    argv = command(get(sections, "Service", "ExecStart", "/bin/true"), env)
    if kind == "simple":
        try:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as e:  # systemd reports this later, in the unit's state
            log.write(f"{unit}: {argv[0]}: {e}\n".encode())
            return 0
        with open(state_file(unit, "pid"), "w") as f:
            f.write(str(proc.pid))
    else:
        if subprocess.run(argv, env=env, stdout=log, stderr=log).returncode != 0:
            print(f"Job for {unit} failed (see {log.name}).", file=sys.stderr)
            return 1
        if kind == "oneshot" and get(sections, "Service", "RemainAfterExit", "no") != "yes":
            return 0
    open(state_file(unit, "active"), "w").close()
    return 0


def stop(unit):
    for other in os.listdir(STATE):
        if other.endswith(".active"):
            name = other[: -len(".active")]
            if unit in get_all(parse(name), "Unit", "PartOf"):
                stop(name)
    if not os.path.exists(state_file(unit, "active")):
        return 0
    sections = parse(unit)
    env = environment(sections)
    pid = main_pid(unit)
    if pid:
        env["MAINPID"] = str(pid)
    log = open(os.path.join(STATE, unit + ".log"), "ab")
    for line in get_all(sections, "Service", "ExecStop"):
        subprocess.run(command(line, env), env=env, stdout=log, stderr=log)
    if pid and alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 20
        while alive(pid) and time.time() < deadline:
            time.sleep(0.1)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    for kind in ("active", "pid"):
        if os.path.exists(state_file(unit, kind)):
            os.unlink(state_file(unit, kind))
    return 0


def is_enabled(unit):
    if masked(unit):
        print("masked")
        return 1
    if os.path.exists(state_file(unit, "enabled")):
        print("enabled")
        return 0
    if unit_path(unit) and "Install" not in parse(unit):
        print("static")
        return 0
    print("disabled")
    return 1


def enable(unit, on):
    if refused("enable" if on else "disable", unit):
        return 1
    if on:
        open(state_file(unit, "enabled"), "w").close()
    elif os.path.exists(state_file(unit, "enabled")):
        os.unlink(state_file(unit, "enabled"))
    return 0


def mask(unit, on):
    p = os.path.join(UNIT_DIRS[0], unit)
    if on:
        if os.path.lexists(p):
            os.unlink(p)
        os.symlink("/dev/null", p)
    elif masked(unit):
        os.unlink(p)
    return 0


def main(argv):
    os.makedirs(STATE, exist_ok=True)
    args = [a for a in argv if not a.startswith("-")]
    quiet = "--quiet" in argv or "-q" in argv
    if not args:
        return 0
    verb, units = args[0], [u if "." in u else u + ".service" for u in args[1:]]
    rc = 0
    for unit in units:
        if verb == "start":
            rc |= start(unit)
        elif verb == "stop":
            rc |= stop(unit)
        elif verb in ("restart", "reload-or-restart", "try-restart"):
            stop(unit)
            rc |= start(unit)
        elif verb == "is-active":
            active = is_active(unit)
            if not quiet:
                print("active" if active else "inactive")
            rc |= 0 if active else 3
        elif verb == "is-enabled":
            rc |= is_enabled(unit)
        elif verb in ("enable", "disable"):
            rc |= enable(unit, verb == "enable")
        elif verb in ("mask", "unmask"):
            rc |= mask(unit, verb == "mask")
        elif verb == "status":
            print(f"{unit}: {'active' if is_active(unit) else 'inactive'}")
            rc |= 0 if is_active(unit) else 3
    return rc  # daemon-reload and anything else: nothing to do


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
