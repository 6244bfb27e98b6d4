/* The one table of size limits (STYLE.md §16). Every bounded buffer and
 * every input cap takes its maximum from here, so reviewing what an
 * attacker can make akios allocate means reading one file. */
#ifndef AKIOS_LIMITS_H
#define AKIOS_LIMITS_H

#define AKIOS_MAX_POLICY_BYTES	   (1024ul * 1024ul) /* policy YAML file */
#define AKIOS_MAX_SIG_BYTES	   (16ul * 1024ul)   /* detached .sig file */
#define AKIOS_MAX_KEY_BYTES	   (16ul * 1024ul)   /* PEM key file */
#define AKIOS_MAX_PATH_BYTES	   4096ul	     /* one path */
#define AKIOS_MAX_POLICY_LIST	   1024ul	     /* entries in one list */
#define AKIOS_MAX_AUDIT_RECORD	   (1024ul * 1024ul) /* one audit event */
#define AKIOS_MAX_CHECKPOINT_BYTES (64ul * 1024ul)   /* signed checkpoint */
#define AKIOS_MAX_HTTP_HEADERS	   (64ul * 1024ul)   /* one header block */
#define AKIOS_MAX_HTTP_BODY	   (32ul * 1024ul * 1024ul) /* one LLM body */
#define AKIOS_MAX_STATUS_LINE	   512ul /* cage status pipe */

/* cage: a kernel file read whole (/proc/self/mounts, /proc/self/cgroup) */
#define AKIOS_MAX_PROC_FILE (1024ul * 1024ul)

#endif
