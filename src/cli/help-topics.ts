// Texts for `borg-ts help TOPIC` that are not about one command: placeholders, patterns and
// compression, as borg offers them (in our own words).

const PLACEHOLDERS = `Placeholders

Repository and archive locations (also BORG_REPO), --comment, --glob-archives,
--prefix and --remote-path may contain placeholders. Each is written in braces
and replaced before the value is used:

{hostname}      the host name up to the first dot
{fqdn}          the fully qualified host name
{reverse-fqdn}  the fully qualified host name with its parts reversed
                (host.example.com becomes com.example.host)
{now}           the local date and time, 2026-01-31T14:05:09 by default;
                {now:FORMAT} formats it with strftime directives instead,
                e.g. {now:%Y-%m-%d_%H:%M}
{utcnow}        like {now}, in UTC
{user}          the name of the user running borg-ts
{pid}           the process id
{uuid4}         a random UUID
{borgversion}   the borg version borg-ts is compatible with, e.g. 1.2.4
{borgmajor}     its major version, e.g. 1
{borgminor}     its major and minor version, e.g. 1.2
{borgpatch}     its full version, e.g. 1.2.4

Write {{ and }} for literal braces. An unknown name, or a conversion such as
{user!r}, is an error.

Shells may treat braces or percent signs specially (systemd units, cron), so
quote or escape them there.

Examples:
    borg-ts create /path/to/repo::{hostname}-{user}-{now} ~
    borg-ts create /path/to/repo::{hostname}-{now:%Y-%m-%d} ~
    borg-ts prune -a '{hostname}-*' --keep-daily 7 /path/to/repo
`;

const PATTERNS = `Patterns

Which files create, extract, list, diff and export-tar consider is decided by patterns.
A pattern may start with a style prefix of two letters and a colon; without one, --exclude and
--exclude-from use fm:, --pattern and --patterns-from use sh:, and the PATH arguments of extract,
list, diff and export-tar use pp:.

    fm:  fnmatch: * and ? match any characters, "/" included; a pattern matches a path and
         everything below it (fm:home/*/junk).
    sh:  shell style: * and ? stop at "/", ** matches any number of directory levels
         (sh:home/*/.cache/**).
    re:  a Python regular expression searched anywhere in the path (re:\.tmp$).
    pp:  path prefix: the path itself and everything below it (pp:home/user/tmp).
    pf:  path full match: exactly this path, fastest for long lists (pf:etc/shadow).

Paths in archives have no leading "/"; a leading "/" in a pattern is ignored.

--exclude PATTERN / -e PATTERN excludes what matches and does not look inside excluded
directories. --exclude-from FILE reads one such pattern per line.

--pattern and --patterns-from (one per line) take a command character first:
    + PATTERN   include
    - PATTERN   exclude, but still look inside a directory (a later + may include its contents)
    ! PATTERN   exclude and do not look inside
    R PATH      a root path to back up (create)
    P STYLE     the default style for the following lines (e.g. P fm)
Empty lines and lines starting with # are ignored. The first pattern that matches decides;
with create, paths no pattern matches are included.

Example pattern file:
    R /home
    P sh
    + home/*/Documents/**
    - home/*/.cache
    ! re:^home/[^/]+/\.local/share/Trash
`;

const COMPRESSION = `Compression

-C / --compression SPEC chooses how new chunks are compressed (default lz4). Chunks already in
the repository keep the compression they were stored with.

    none          no compression
    lz4           very fast, modest ratio
    zstd[,L]      zstd, level 1 (fast) to 22 (small); default 3
    zlib[,L]      zlib, level 0 to 9; default 6
    lzma[,L]      xz, level 0 to 9; default 6 (slow, small)
    auto,C[,L]    tries lz4 first: data that lz4 cannot shrink is stored as is,
                  the rest is compressed with C (e.g. auto,zstd,10)
    obfuscate,SPEC,C[,L]
                  compresses with C, then pads every chunk with a random number of
                  zero bytes so that sizes reveal less about the contents (SPEC 1-6:
                  relative padding, larger is more; 110-123: up to 2^(SPEC-100) bytes)

lz4, zstd and lzma store a chunk uncompressed when compressing would not make it smaller.

Examples:
    borg-ts create -C zstd,10 /path/to/repo::arch ~
    borg-ts create --compression auto,lzma /path/to/repo::arch ~
`;

export const HELP_TOPICS: Readonly<Record<string, string>> = {
  compression: COMPRESSION,
  patterns: PATTERNS,
  placeholders: PLACEHOLDERS,
};
