#!/usr/bin/env python3
"""Runs headless Firefox on a prepared profile and drives it over Marionette
through a plan of steps, printing one "PASS: ..." or "FAIL: ..." line per
checked step (tests/browser/firefox.sh counts them).

    ffdrive.py --profile DIR --plan PLAN.json [--log FILE] [--timeout S]

The profile's user.js names the Marionette port (marionette.port).  The plan
is a JSON list of steps, each an object with "do" and a "name":

  {"do": "prompt", "answers": [...]}     passcodes the stand-in prompt gives,
                                         in order; once they run out it
                                         cancels (not a check)
  {"do": "login", "token": LABEL, "expect": "ok"|"refused", "prompts": N}
                                         nsIPK11Token.login(false); the token
                                         must then be logged in (ok) or not
                                         (refused); with "prompts", exactly N
                                         password prompts were answered
  {"do": "visit", "url": URL, "expect": REGEX}   the page text matches
  {"do": "visit", "url": URL, "expect_fail": true}
                                         the load ends on an error page
  {"do": "logged_in", "token": LABEL, "expect": true|false, "wait": S}
                                         polls the token's login state
  {"do": "logout", "token": LABEL}       nsIPK11Token.logout(); then logged out
  {"do": "forget_client_auth"}          Firefox forgets its remembered client
                                         certificate decisions (not a check)
  {"do": "shell", "cmd": "..."}          a bash command must exit 0
  {"do": "present", "token": LABEL, "expect": true|false, "wait": S,
   "module": NAME}                       the token is (not) seen by Firefox
                                         (in the module of that name)

Firefox's request for a token passcode goes to nsIPrompt.promptPassword of
the prompt that "@mozilla.org/prompter;1" makes (security/manager/ssl:
PK11PasswordPrompt -> nsNSSComponent::GetNewPrompter, or the socket's or
token's interface requestor, which ask the window watcher, which asks that
contract).  The driver registers a stand-in factory under that contract from
the chrome context, so the profile answers its own passcode prompts and a
headless Firefox never waits for a person.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from marionette import Marionette, MarionetteError  # noqa: E402

# The stand-in prompt service.  Its state lives on the service object
# (wrappedJSObject), so later scripts find the same queue and counters.
INSTALL_PROMPT = r"""
const registrar = Components.manager.QueryInterface(Ci.nsIComponentRegistrar);
const CONTRACT = "@mozilla.org/prompter;1";
const CID = Components.ID("{6f1a3c2e-5b7d-4e1a-9c3b-ca4e1d000001}");
if (!registrar.isCIDRegistered(CID)) {
  const state = { answers: [], asked: 0, texts: [] };
  const prompt = {
    QueryInterface: ChromeUtils.generateQI(["nsIPrompt"]),
    promptPassword(title, text, password) {
      state.asked++;
      state.texts.push(String(text));
      if (state.answers.length == 0) {
        return false;
      }
      password.value = state.answers.shift();
      return true;
    },
    alert() {},
    alertCheck() {},
    confirm() { return false; },
    confirmCheck() { return false; },
    confirmEx() { return 1; },
    prompt() { return false; },
    promptUsernameAndPassword() { return false; },
    select() { return false; },
  };
  const service = {
    QueryInterface: ChromeUtils.generateQI(["nsIPromptFactory"]),
    wrappedJSObject: { state },
    getPrompt(win, iid) { return prompt.QueryInterface(iid); },
  };
  const factory = {
    QueryInterface: ChromeUtils.generateQI(["nsIFactory"]),
    createInstance(iid) { return service.QueryInterface(iid); },
  };
  registrar.registerFactory(CID, "careid test passcode prompt", CONTRACT, factory);
}
const s = Cc[CONTRACT].getService().wrappedJSObject;
return !!(s && s.state);
"""

SET_ANSWERS = r"""
const s = Cc["@mozilla.org/prompter;1"].getService().wrappedJSObject.state;
s.answers = arguments[0].slice();
s.asked = 0;
s.texts = [];
return true;
"""

PROMPT_STATE = r"""
const s = Cc["@mozilla.org/prompter;1"].getService().wrappedJSObject.state;
return { asked: s.asked, texts: s.texts, left: s.answers.length };
"""

# Finds a token by label in every module Firefox has loaded.
FIND_TOKEN = r"""
async function careidFindToken(label) {
  const db = Cc["@mozilla.org/security/pkcs11moduledb;1"].getService(Ci.nsIPKCS11ModuleDB);
  let mods = db.listModules();
  if (mods && mods.then) mods = await mods;
  const seen = [];
  for (const m of mods) {
    const slots = m.listSlots ? m.listSlots() : m.slots;
    for (const slot of slots) {
      let tok = null;
      try { tok = slot.getToken(); } catch (e) { continue; }
      if (!tok) continue;
      seen.push(m.name + "/" + tok.tokenName);
      if (tok.tokenName == label) return { tok, seen, module: m.name, slot };
    }
  }
  return { tok: null, seen };
}
// An attribute in Firefox 153, a method in older releases.
function careidLoggedIn(tok) {
  return typeof tok.isLoggedIn == "function" ? tok.isLoggedIn() : !!tok.isLoggedIn;
}
"""

LOGIN = FIND_TOKEN + r"""
const { tok, seen } = await careidFindToken(arguments[0]);
if (!tok) return { found: false, seen };
let error = null;
try {
  tok.login(false);
} catch (e) {
  error = String(e);
}
return { found: true, error, loggedIn: careidLoggedIn(tok) };
"""

LOGOUT = FIND_TOKEN + r"""
const { tok, seen } = await careidFindToken(arguments[0]);
if (!tok) return { found: false, seen };
tok.logout();
return { found: true, loggedIn: careidLoggedIn(tok) };
"""

# Firefox remembers, per site and session, which client certificate it
# sent, or that it had none to send.
FORGET_CLIENT_AUTH = r"""
const svc = Cc["@mozilla.org/security/clientAuthRememberService;1"]
  .getService(Ci.nsIClientAuthRememberService);
svc.clearRememberedDecisions();
return true;
"""

LOGGED_IN = FIND_TOKEN + r"""
const { tok, seen, module } = await careidFindToken(arguments[0]);
if (!tok) return { found: false, seen };
return { found: true, module, loggedIn: careidLoggedIn(tok) };
"""

# NSS's own presence check (PK11_IsPresent, behind nsIPKCS11Slot.status):
# a slot keeps its token's name after the card is pulled, so finding the
# label is not enough.  NSS caches the answer for a second
# (NSSSLOT_TOKEN_DELAY_TIME), so polling it also waits that out.
PRESENT = FIND_TOKEN + r"""
const { tok, seen, module, slot } = await careidFindToken(arguments[0]);
if (!tok) return { found: false, present: false, seen };
const st = slot.status;
return { found: true, module, status: st,
         present: st != Ci.nsIPKCS11Slot.SLOT_NOT_PRESENT && st != Ci.nsIPKCS11Slot.SLOT_DISABLED };
"""

PAGE_TEXT = r"""
return { url: document.location.href,
         text: document.body ? document.body.textContent : "" };
"""


class RunExpired(BaseException):
    """The whole run took too long (not an Exception, so no step catches it)."""


class Driver:
    def __init__(self, args):
        self.args = args
        self.passed = 0
        self.failed = 0
        self.proc = None
        self.m = None
        self.visits = 0

    def result(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS: {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL: {name}", flush=True)
            for line in str(detail).splitlines()[-15:]:
                print(f"      | {line}", flush=True)

    def marionette_port(self):
        with open(os.path.join(self.args.profile, "user.js")) as f:
            m = re.search(r'"marionette\.port"\s*,\s*(\d+)', f.read())
        if not m:
            raise SystemExit("user.js does not set marionette.port")
        return int(m.group(1))

    def start(self):
        env = dict(os.environ)
        env["MOZ_CRASHREPORTER_DISABLE"] = "1"
        env.setdefault("MOZ_HEADLESS", "1")
        log = open(self.args.log, "ab") if self.args.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [self.args.firefox, "--headless", "--marionette",
             "-remote-allow-system-access", "--no-remote",
             "--profile", self.args.profile],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
            start_new_session=True)
        self.m = Marionette(port=self.marionette_port(), timeout=60)
        self.m.connect(deadline_s=60)
        self.m.new_session({"acceptInsecureCerts": False,
                            "unhandledPromptBehavior": "dismiss"})
        self.m.set_context("chrome")
        if not self.m.execute(INSTALL_PROMPT):
            raise RuntimeError("stand-in prompt not installed")

    def stop(self):
        if self.m is not None:
            self.m.quit()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            # Firefox's content processes share its process group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def prompt_state(self):
        return self.m.execute(PROMPT_STATE)

    # ---- steps ----
    def step_prompt(self, st):
        self.m.execute(SET_ANSWERS, [list(st.get("answers", []))])
        return None

    def step_login(self, st):
        r = self.m.execute(LOGIN, [st["token"]], timeout_s=st.get("timeout", 60))
        ps = self.prompt_state()
        detail = json.dumps({"login": r, "prompts": ps["asked"]})
        if not r.get("found"):
            return False, detail
        want = st.get("expect", "ok") == "ok"
        ok = r["loggedIn"] == want
        if "prompts" in st and ps["asked"] != st["prompts"]:
            ok = False
        return ok, detail

    def step_visit(self, st):
        self.visits += 1
        url = st["url"]
        err = None
        try:
            self.m.set_context("content")
            try:
                self.m.navigate(url, timeout_s=st.get("timeout", 40))
            except MarionetteError as e:
                err = str(e)
            page = self.m.execute(PAGE_TEXT)
        finally:
            self.m.set_context("chrome")
        ps = self.prompt_state()
        text = " ".join(page.get("text", "").split())
        detail = json.dumps({"url": page.get("url"), "error": err, "text": text[:300],
                             "prompts": ps["asked"]})
        if st.get("expect_fail"):
            ok = err is not None or page.get("url", "").startswith("about:")
            if "expect_not" in st and re.search(st["expect_not"], text):
                ok = False
            return ok, detail
        ok = err is None and re.search(st["expect"], text) is not None
        if "prompts" in st and ps["asked"] != st["prompts"]:
            ok = False
        return ok, detail

    def step_logout(self, st):
        r = self.m.execute(LOGOUT, [st["token"]])
        return bool(r.get("found")) and not r.get("loggedIn"), json.dumps(r)

    def step_forget_client_auth(self, st):
        self.m.execute(FORGET_CLIENT_AUTH)
        return None

    def step_logged_in(self, st):
        end = time.monotonic() + st.get("wait", 0)
        while True:
            r = self.m.execute(LOGGED_IN, [st["token"]])
            state = r.get("found") and r.get("loggedIn")
            if bool(state) == bool(st.get("expect", True)) or time.monotonic() >= end:
                break
            time.sleep(0.5)
        return bool(state) == bool(st.get("expect", True)), json.dumps(r)

    def step_present(self, st):
        end = time.monotonic() + st.get("wait", 0)
        while True:
            r = self.m.execute(PRESENT, [st["token"]])
            if bool(r.get("present")) == bool(st.get("expect", True)) or time.monotonic() >= end:
                break
            time.sleep(0.25)
        ok = bool(r.get("present")) == bool(st.get("expect", True))
        if ok and r.get("found") and "module" in st and r.get("module") != st["module"]:
            ok = False
        return ok, json.dumps(r)

    def step_shell(self, st):
        p = subprocess.run(["bash", "-c", st["cmd"]], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=st.get("timeout", 60))
        return p.returncode == 0, p.stdout.decode("utf-8", "replace")

    def run(self, plan):
        try:
            self.start()
        except Exception as e:  # Firefox did not come up: one failure, then stop.
            time.sleep(1)
            code = self.proc.poll() if self.proc else None
            how = ""
            if code is not None and code < 0:
                how = f"; Firefox was killed by signal {-code} ({signal.Signals(-code).name})"
            elif code is not None:
                how = f"; Firefox exited with status {code}"
            self.result(False, "Firefox starts headless and answers over Marionette",
                        f"{type(e).__name__}: {e}{how}")
            return
        self.result(True, "Firefox starts headless and answers over Marionette")
        for st in plan:
            fn = getattr(self, "step_" + st["do"])
            gone = False
            try:
                r = fn(st)
            except MarionetteError as e:
                r = (False, str(e))
            except (ConnectionError, OSError) as e:
                # Firefox went away (or stopped answering): the rest of the
                # plan cannot run.
                r = (False, f"{type(e).__name__}: {e}; Firefox exit status {self.proc.poll()}")
                gone = True
            except Exception as e:
                r = (False, f"{type(e).__name__}: {e}")
            if r is None:
                continue
            self.result(r[0], st.get("name", st["do"]), r[1])
            if gone or (not r[0] and st.get("fatal")):
                break


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--log")
    ap.add_argument("--firefox", default="firefox-esr")
    ap.add_argument("--timeout", type=int, default=180,
                    help="the whole run ends after this many seconds")
    a = ap.parse_args()
    with open(a.plan) as f:
        plan = json.load(f)

    d = Driver(a)

    def expired(signum, frame):
        raise RunExpired(f"the Firefox run took longer than {a.timeout} s")

    signal.signal(signal.SIGALRM, expired)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(143))
    signal.alarm(a.timeout)
    try:
        d.run(plan)
    except RunExpired as e:
        d.result(False, "the Firefox run ends in time", str(e))
    finally:
        signal.alarm(0)
        d.stop()
    sys.exit(0 if d.failed == 0 else 1)


if __name__ == "__main__":
    main()
