"""The catalogue of secret syntaxes that ``audit.redact.Redactor`` removes from every string.

Three families, each a regular expression; where a pattern has a group named ``secret`` only that
group is replaced, so the text keeps its shape (``username admin secret 0 [REDACTED]``):

* **Vendor configuration lines** (Cisco IOS/IOS-XE/NX-OS, Arista EOS, Juniper, FortiOS): typed
  ``secret|password [0-9] VALUE`` and hashes (``$1$``, ``$6$``, ``$8$``, ``$9$``), reversible type-7
  strings, ``key [0-9] VALUE``, ``key-string``, ``server-key``, TACACS+/RADIUS keys (inline and in
  ``tacacs server``/``radius server`` blocks), SNMP communities and v3 auth/priv pass-phrases,
  ISAKMP/IKEv2 pre-shared keys, ``wpa-psk``, NTP/OSPF authentication keys, HSRP/VRRP text auth.
* **Known token formats**: bearer/``Authorization:`` values, Anthropic/OpenAI/Stripe keys, GitHub,
  AWS, Slack and Google tokens, JWTs, PEM private keys, passwords in URLs, Slack webhook paths.
* **Named values in free text**: ``password=…``, ``"token": "…"``, ``community: …``, ``psk=…``.

Every pattern stays inside one line (``[ \\t]`` rather than ``\\s``), and treats a JSON-escaped
``\\n`` as a line end too, because configurations reach the stores both raw and inside JSON text
(an MCP tool result). A value never starts with an existing marker, so redacting twice is a no-op.
Values stop at whitespace and at a double quote (which would otherwise be the closing quote of a
JSON string); named values in free text also stop at ``' , ; & } ]``. The cost of a pattern that
matches too much is one lost word after ``password``; the cost of one that matches too little is a
secret in an append-only log, so where in doubt the patterns redact.
"""

from __future__ import annotations

__all__ = [
    "BLOCK_PATTERNS",
    "DEFAULT_PATTERNS",
    "KEYWORDS",
    "LINE_PATTERNS",
    "LINE_RULES",
]

# A value: anything up to whitespace, a double quote or a JSON escape (\n, \r, \t, \", \\); never an
# existing marker, nor a word shortly before one: in already redacted text ``level 15 [REDACTED]``
# the words are the type, not the secret. (Raw text holds no markers: the redactor finds every
# pattern's matches in the original line before it replaces any.)
_NOT_DONE = r"(?!(?:[^\s\"\\]+[ \t]+){0,3}(?:\\?\")?\[REDACTED)"
_VALUE = r"(?P<secret>" + _NOT_DONE + r"(?:[^\s\"\\]|\\(?![nrt\"\\]))+)"
# A value in ``name=value`` free text also stops at the punctuation that ends it in a repr or query.
_KV_VALUE = r"(?P<secret>" + _NOT_DONE + r"(?:[^\s\"',;&}\]\\]|\\(?![nrt\"\\]))+)"
# A word boundary that also holds right after a JSON escape (in ``\ntacacs-server`` as JSON text the
# escaped newline's ``n`` would otherwise glue itself to the next word).
_B = r"(?:\b|(?<=\\[nrt]))"
_I = r"(?i)" + _B
# An optional opening quote, raw or JSON-escaped (Juniper quotes its secrets).
_Q = r"(?:\\?\")?"
# The start of a configuration line: the text's start, a newline or a JSON-escaped newline.
_BOL = r"(?:^|(?<=\n)|(?<=\\n))"
# Encryption types and hash names a vendor writes between the keyword and the value.
_TYPES = (
    r"(?:level[ \t]+\d+|[0-9]{1,2}|sha512|sha256|md5|scrypt|pbkdf2|plaintext|plain-text|clear|cleartext"
    r"|unencrypted|encrypted|hash|hashed|ascii|ascii-text|hex|ENC)\b"
)
_TYPE = r"(?:[0-9][ \t]+)?"
# English words that follow "password"/"secret" in prose but are not the secret.
_PROSE = (
    r"(?!(?:is|was|of|for|the|a|an|to|and|or|in|on|not|no|none|reset|policy|change|changed|expired|expires"
    r"|required|must|has|have|with|will|should|prompt|manager|protected|rotation|length|complexity)\b)"
)
_WORD_KEY = r"(?:(?<![\w-])|(?<=\\[nrt]))key"  # the word ``key`` on its own, not ``authentication-key``

_PASSWORD = ("secret", "passw", "passphrase")
_NAMED = ("passw", "passphrase", "pwd", "secret", "token", "key", "community", "psk", "credential", "cookie")

# Each rule is (words, pattern): the pattern can only match a line holding one of the words (lower
# case), so a line runs only the patterns its words call for, and a line without any runs none.
# fmt: off
VENDOR_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    # `secret|password [type] VALUE`: usernames, enable, line passwords, BGP neighbours, PPP, Juniper,
    # FortiOS `set password ENC VALUE`; also prose `password: VALUE` / `password is VALUE`.
    (_PASSWORD, _I + r"(?:secret|password|passwd|passphrase)(?:[ \t]*[:=]|[ \t]+(?:is|was)\b)?"
     r"(?:[ \t]+" + _TYPES + r")*[ \t]+" + _PROSE + _Q + _VALUE),
    # NTP and OSPF/IS-IS keys: `ntp authentication-key 1 md5 VALUE [7]`, `ip ospf authentication-key VALUE`.
    (("key",), _I + r"authentication-key[ \t]+(?:\d+[ \t]+(?:md5|sha\d*|hmac-sha\d*|cmac-aes-\d+|aes-\d+-cmac)"
     r"[ \t]+)?" + _TYPE + _Q + _VALUE),
    (("key",), _I + r"message-digest-key[ \t]+\d+[ \t]+md5[ \t]+" + _TYPE + _Q + _VALUE),
    # SNMP: communities (IOS/EOS/NX-OS, Juniper set and hierarchical styles) and v3 pass-phrases.
    (("community",), _I + r"snmp-server[ \t]+community[ \t]+" + _TYPE + _Q + _VALUE),
    (("snmp",), _I + r"snmp-server[ \t]+host[ \t]+[^\s\\]+[ \t]+(?:(?:traps|informs|vrf[ \t]+[^\s\\]+)[ \t]+)*"
     r"(?:version[ \t]+(?:1|2c)[ \t]+)?(?!version\b)" + _VALUE),
    (("community",), _I + r"snmp[ \t]+community[ \t]+" + _Q + _VALUE),
    (("community",), r"(?i)" + _BOL + r"[ \t+\-]*community[ \t]+" + _Q + _VALUE + r"(?=[ \t\"]*\{)"),
    (("auth",), _I + r"auth[ \t]+(?:md5|sha(?:-?\d+)?)[ \t]+(?:localized[ \t]+)?" + _Q + _VALUE),
    (("priv",), _I + r"priv[ \t]+(?:des(?:56)?|3des|aes(?:-?[ \t]*\d+)?)[ \t]+(?:localized[ \t]+)?" + _Q + _VALUE),
    # TACACS+/RADIUS/AAA keys on one line: `tacacs-server host H key 7 VALUE`, `radius-server key VALUE`.
    (("key",), _I + r"(?:tacacs|radius|aaa)(?:-server)?\b[^\n\\]{0,200}?" + _WORD_KEY + r"[ \t]+" + _TYPE + _Q
     + _VALUE),
    # An indented `key` line inside a `tacacs server X` / `radius server X` block, typed or not; never
    # `key chain`, a key-chain's `key 1`, or a whole string such as the description "key switch".
    (("key",), r"(?i)" + _BOL + r"[+\-]?[ \t]+key[ \t]+(?!chain\b|config-key\b)(?![0-9]+[ \t]*(?:$|[\r\n\"\\]))"
     + _TYPE + _Q + _VALUE),
    # Typed keys anywhere: `key 7 VALUE`, `key-string [7] VALUE`, `server-key [0] VALUE`.
    (("key",), r"(?i)" + _WORD_KEY + r"[ \t]+[0-9][ \t]+" + _Q + _VALUE),
    (("key",), _I + r"(?:key-string|server-key)[ \t]+" + _TYPE + _Q + _VALUE),
    (("key",), _I + r"config-key[ \t]+password-encrypt[ \t]+" + _VALUE),
    # IKE: `crypto isakmp key [0|6] VALUE address A`, `pre-shared-key [local|remote] [0|6] VALUE`.
    (("key",), _I + r"isakmp[ \t]+key[ \t]+" + _TYPE + _VALUE),
    (("key",), _I + r"pre-shared-key[ \t]+(?:(?:local|remote|hex|ascii|ascii-text|address[ \t]+[^\s\\]+"
     r"(?:[ \t]+key)?)[ \t]+)*" + _TYPE + _Q + _VALUE),
    (("psk",), _I + r"wpa-psk[ \t]+(?:ascii|hex)[ \t]+" + _TYPE + _VALUE),
    (("auth",), _I + r"authentication[ \t]+(?:text|plain-text|simple)[ \t]+" + _VALUE),
    # Unix crypt / Cisco type 5, 8, 9 / Arista sha512 / bcrypt / yescrypt hashes, wherever they appear.
    (("$",), r"\$(?:1|2[abxy]|5|6|8|9|14|y|gy)\$[./A-Za-z0-9$-]{4,}"),
)

TOKEN_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    # Header values of any scheme.
    (("auth",), _I + r"(?:proxy-)?authorization(?:\\?[\"'])?[ \t]*[:=][ \t]*(?:\\?[\"'])?"
     r"(?:(?:basic|bearer|token|digest|negotiate|ntlm|apikey|sso-key)[ \t]+)?" + _KV_VALUE),
    (("bearer",), _I + r"bearer[ \t]+(?P<secret>[A-Za-z0-9._~+/=-]{8,})"),
    (("sk-",), _B + r"sk-ant-[A-Za-z0-9_-]{8,}"),
    (("sk-",), _B + r"sk-[A-Za-z0-9_-]{20,}"),
    (("k_live_", "k_test_"), _B + r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}"),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), _B + r"gh[pousr]_[A-Za-z0-9]{30,}"),
    (("github_pat_",), _B + r"github_pat_[A-Za-z0-9_]{22,}"),
    (("akia", "asia"), _B + r"(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    (("xox",), _B + r"xox[abposr]-[A-Za-z0-9-]{10,}"),
    (("xapp-",), _B + r"xapp-[A-Za-z0-9-]{10,}"),
    (("hooks.slack",), r"hooks\.slack\.com/services/(?P<secret>[A-Za-z0-9/_-]{8,})"),
    (("aiza",), _B + r"AIza[0-9A-Za-z_-]{35}\b"),
    (("://",), _I + r"[a-z][a-z0-9+.-]*://[^/\s:@\"]+:(?P<secret>[^@\s/\"]+)@"),
    (("eyj",), _B + r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"),
)

NAMED_VALUE_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    # `password=…`, `"token": "…"`, `'community': '…'`, `?api_key=…&`; `close`/`open` are the quotes
    # around the name and the value, so an unquoted JSON number is replaced by a quoted marker.
    (_NAMED, r"(?i)(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))(?:[A-Za-z0-9]+[_-])*"
     r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|community|psk|pre[_-]?shared[_-]?key"
     r"|private[_-]?key|credentials?|access[_-]?key|auth[_-]?key|(?:set-)?cookie)"
     r"(?P<close>\\?[\"'])?[ \t]*[:=][ \t]*(?P<open>\\?[\"'])?(?!(?:null|true|false)\b)" + _KV_VALUE),
)
# fmt: on

# Patterns that may span lines; run over the whole text before the line patterns.
BLOCK_PATTERNS: tuple[str, ...] = (
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[^\"]*?(?:-----END [A-Z ]*PRIVATE KEY-----|(?=\\?\")|$)",
)
# Every other pattern stays inside one line, raw or JSON-escaped.
LINE_RULES: tuple[tuple[tuple[str, ...], str], ...] = (*VENDOR_RULES, *TOKEN_RULES, *NAMED_VALUE_RULES)
LINE_PATTERNS: tuple[str, ...] = tuple(pattern for _, pattern in LINE_RULES)
KEYWORDS: tuple[str, ...] = tuple(dict.fromkeys(word for words, _ in LINE_RULES for word in words))
DEFAULT_PATTERNS: tuple[str, ...] = (*BLOCK_PATTERNS, *LINE_PATTERNS)
