// Texts for `borg-ts help TOPIC` that are not about one command. A topic joins the table when its
// feature exists (borg also has "patterns" and "compression").

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

export const HELP_TOPICS: Readonly<Record<string, string>> = {
  placeholders: PLACEHOLDERS,
};
