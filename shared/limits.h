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
#define AKIOS_MAX_STATUS_LINE	   512ul       /* cage status pipe */
#define AKIOS_MAX_PII_MATCHES	   (1ul << 20) /* raw matches per scan round */
#define AKIOS_PII_SLICE		   (256ul * 1024ul) /* bytes scanned per round */
#define AKIOS_MAX_REDACT_INPUT	   (256ul * 1024ul * 1024ul) /* akios redact */
#define AKIOS_MAX_JSON_TEXT	   (256ul * 1024ul * 1024ul) /* one printed document */

/* cage: a kernel file read whole (/proc/self/mounts, /proc/self/cgroup) */
#define AKIOS_MAX_PROC_FILE (1024ul * 1024ul)
/* broker (issue 6) */
#define AKIOS_MAX_RESOLVED_ADDRS   16u /* addresses kept per name */
#define AKIOS_MAX_HOSTS_BYTES	   (256ul * 1024ul) /* generated /etc/hosts */
#define AKIOS_MAX_RELAY_CONNS	   1024u /* live relayed connections */
#define AKIOS_MAX_EXEC_ARGS	   256u	 /* argv entries audited */
#define AKIOS_MAX_EXEC_ARGV_BYTES  (64ul * 1024ul) /* argv bytes audited */
#define AKIOS_MAX_PENDING_CONNECTS 256u /* connects held for upstream */
/* A non-blocking connect is held this long for the upstream's answer,
 * then answered EINPROGRESS (a later failure resets the socket). */
#define AKIOS_BROKER_HOLD_MS 3000u
#define AKIOS_MAX_SENDMMSG   1024u /* sendmmsg messages checked (UIO_MAXIOV) */
#define AKIOS_MAX_TOOL_RUNS  512u  /* tool runs timed at once (pidfds) */
/* cage: the walk for nested control files (plan_walk.c), per run */
#define AKIOS_CTL_WALK_ENTRIES 20000u /* directory entries examined */
#define AKIOS_CTL_WALK_DEPTH   16u    /* directory levels below a path */
#define AKIOS_CTL_WALK_FROZEN  64u    /* nested control paths frozen */
#define AKIOS_PH_SPARE_MAX     16u    /* spare placeholder dirs kept */

#endif
