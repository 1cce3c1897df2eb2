"""The replay reference of bench/run: nginx answering the server's own captured answers.

The nginx baseline answers 60 bytes with 5 header fields; archon-auth answers ~1.0-1.4 KB with
16-17 (spec-mandated security and rate-limit headers, the JSON envelope), and some scenarios' Lua
response() callbacks make wrk itself costlier. Part of the gap to the baseline is therefore not the
server's work. bench/run captures one answer per scenario from the server (capture), has nginx
return exactly that answer (nginx_locations) and drives it with the same Lua script: what an ideal
static server reaches with these answers on this machine.

Python 3 standard library only. Checks: python3 -m doctest bench/replay.py
"""
import collections
import http
import http.client
import re

# status: int; headers: [(name, value), ...] in the order the server sent them; body: str
Answer = collections.namedtuple("Answer", "status headers body")

# nginx writes these itself (Content-Type comes from default_type): added again, they would be
# sent twice or contradict nginx's own framing.
DROPPED = {"content-length", "content-type", "connection", "date", "server", "transfer-encoding"}

# An RFC 9110 token, minus '$' (nginx would read a variable) and the quotes (config syntax).
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#%&*+.^_`|~-]+$")

# nginx reads its configuration in 4 KiB buffers: a longer parameter fails with "too long parameter".
_MAX_PARAM = 4000


def capture(port, method, path, headers=None, body=None):
    """One request to 127.0.0.1:port; the answer as the client received it (headers in order)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = body.encode() if isinstance(body, str) else body
        conn.request(method, path, body=data, headers=dict(headers or {}))
        resp = conn.getresponse()
        text = resp.read().decode("utf-8")
        return Answer(resp.status, list(resp.getheaders()), text)
    finally:
        conn.close()


def wire_bytes(answer):
    """The answer's size on the wire as HTTP/1.1 (status line with the standard reason phrase,
    header lines, blank line, body): what wrk reads per request, to compare the server's answer
    with nginx's replay of it.

    >>> wire_bytes(Answer(200, [("A", "b")], "{}"))
    27
    """
    try:
        reason = http.HTTPStatus(answer.status).phrase
    except ValueError:
        reason = ""
    head = f"HTTP/1.1 {answer.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in answer.headers) + "\r\n"
    return len(head.encode("latin-1", "replace")) + len(answer.body.encode())


def _param(text, what):
    if len(text) > _MAX_PARAM:
        raise ValueError(f"{what}: {len(text)} characters, longer than an nginx config parameter may be")
    return text


def _header_value(name, value):
    """The value as one nginx parameter: double-quoted, or single-quoted when it holds a double
    quote. A backslash is escaped too (nginx would read \\t, \\n, \\\\ in either quote kind)."""
    if "$" in value:
        raise ValueError(f"header {name}: '$' in {value!r} (nginx would interpolate a variable)")
    if "\r" in value or "\n" in value:
        raise ValueError(f"header {name}: CR or LF in {value!r}")
    if '"' in value and "'" in value:
        raise ValueError(f"header {name}: both quote kinds in {value!r}")
    q = "'" if '"' in value else '"'
    return _param(q + value.replace("\\", "\\\\") + q, f"header {name}")


def _body(body):
    """The body as one single-quoted nginx parameter (\\ and ' escaped; nginx unescapes them)."""
    if "$" in body:
        raise ValueError("body: '$' in the body (nginx would interpolate a variable): " + body[:200])
    return _param("'" + body.replace("\\", "\\\\").replace("'", "\\'") + "'", "body")


def nginx_locations(answers):
    r"""nginx `location = PATH` blocks answering each captured Answer: its status, its body byte
    for byte, its Content-Type (default_type) and its other headers in order (add_header ...
    always), except those nginx writes itself (DROPPED). Raises ValueError for an answer nginx
    could not repeat exactly.

    >>> a = Answer(200, [("Content-Type", "application/json"), ("Content-Length", "9"),
    ...                  ("Content-Security-Policy", "default-src 'none'"), ("RateLimit", '"d";r=9'),
    ...                  ("Date", "x"), ("X-A", r"a\b")], 'it\'s "\\"')
    >>> print(nginx_locations({"/health": a}), end="")
    location = /health {
      default_type "application/json";
      add_header Content-Security-Policy "default-src 'none'" always;
      add_header RateLimit '"d";r=9' always;
      add_header X-A "a\\b" always;
      return 200 'it\'s "\\"';
    }
    >>> nginx_locations({"/": Answer(200, [], "cost: $5")})
    Traceback (most recent call last):
    ...
    ValueError: body: '$' in the body (nginx would interpolate a variable): cost: $5
    >>> nginx_locations({"/": Answer(200, [("X-Q", "'\"")], "")})
    Traceback (most recent call last):
    ...
    ValueError: header X-Q: both quote kinds in '\'"'
    >>> nginx_locations({"/": Answer(200, [("X-L", "a\r\nb")], "")})
    Traceback (most recent call last):
    ...
    ValueError: header X-L: CR or LF in 'a\r\nb'
    >>> nginx_locations({"/": Answer(200, [("X-P", "$host")], "")})
    Traceback (most recent call last):
    ...
    ValueError: header X-P: '$' in '$host' (nginx would interpolate a variable)
    """
    out = []
    for path, a in answers.items():
        if not re.match(r"^/[A-Za-z0-9/._~-]*$", path):
            raise ValueError(f"location {path!r}: only plain paths are replayed")
        lines = [f"location = {path} {{"]
        ctype = next((v for k, v in a.headers if k.lower() == "content-type"), "application/octet-stream")
        lines.append(f"  default_type {_header_value('Content-Type', ctype)};")
        for name, value in a.headers:
            if name.lower() in DROPPED:
                continue
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} cannot be written into nginx's config")
            lines.append(f"  add_header {name} {_header_value(name, value)} always;")
        lines.append(f"  return {int(a.status)} {_body(a.body)};")
        lines.append("}")
        out.append("\n".join(lines) + "\n")
    return "".join(out)
