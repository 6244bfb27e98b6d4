/* Where akios keeps its Ed25519 key pair (for policy signatures and audit
 * checkpoints) unless told otherwise: $AKIOS_KEY_DIR, else
 * $XDG_CONFIG_HOME/akios/keys, else $HOME/.config/akios/keys. The files
 * are akios.key (private, 0600) and akios.pub. */
#ifndef AKIOS_KEYS_H
#define AKIOS_KEYS_H

#include "shared/common.h"

#define KEYS_PRIVATE_NAME "akios.key"
#define KEYS_PUBLIC_NAME  "akios.pub"

/* Writes the default key directory into buf. 0, or -ENAMETOOLONG, or
 * -ENOENT when neither HOME nor the override variables are set. */
int keys_default_dir(char *buf, size_t size) AKIOS_NONNULL(1) AKIOS_NODISCARD;

/* dir/name into buf; dir NULL means the default directory. */
int keys_path(const char *dir, const char *name, char *buf, size_t size)
    AKIOS_NONNULL(2, 3) AKIOS_NODISCARD;

/* mkdir -p of the key directory with mode 0700 for the leaf. */
int keys_make_dir(const char *dir) AKIOS_NONNULL(1) AKIOS_NODISCARD;

#endif
