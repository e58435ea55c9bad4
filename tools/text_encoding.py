"""rnnkit's utf8::check_not_wide_encoding for the tools that read files as rnnkit does."""


def wide_encoding_error(data, path):
    """The error rnnkit gives a file saved as UTF-16 or UTF-32 (its byte order mark, or a NUL
    beside each of its first two ASCII characters), or None for any other `data`."""
    at = lambda i: data[i] if i < len(data) else 1  # noqa: E731
    mark = data.startswith((b"\xff\xfe", b"\xfe\xff", b"\0\0\xfe\xff"))
    little = at(0) != 0 and at(1) == 0 and at(2) != 0 and at(3) == 0
    big = at(0) == 0 and at(1) != 0 and at(2) == 0 and at(3) != 0
    if not (mark or little or big):
        return None
    return (f"{path}: the file is UTF-16 or UTF-32, not UTF-8; convert it (iconv -f UTF-16 -t "
            'UTF-8, or save it as "UTF-8" in the editor)')
