/*
 * prov/path.c -- the file names phones ask the provisioning service for
 * (prov/prov_int.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <errno.h>
#include <string.h>

#include "prov/prov_int.h"
#include "store/store.h"

/* One form: prefix, 12 hex digits, suffix. */
static const struct {
	const char *prefix;
	const char *suffix;
	enum prov_file file;
} forms[] = {
	{ "/prov/", ".cfg", PROV_FILE_CONFIG },
	{ "/snom-", ".xml", PROV_FILE_CONFIG },
	{ "/cfg", ".xml", PROV_FILE_CONFIG },
	{ "/", "-phone.cfg", PROV_FILE_CONFIG },
	{ "/", ".xml", PROV_FILE_CONFIG },
	{ "/", ".cfg", PROV_FILE_MAC_CFG },
};

int
prov_path_parse(const char *path, char *mac, enum prov_file *file)
{
	char digits[13];
	size_t i, j, len, pl, sl;

	mac[0] = '\0';
	if (!path)
		return ENOENT;
	len = strlen(path);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		pl = strlen(forms[i].prefix);
		sl = strlen(forms[i].suffix);
		if (len != pl + 12 + sl ||
		    strncmp(path, forms[i].prefix, pl) != 0 ||
		    strcmp(path + pl + 12, forms[i].suffix) != 0)
			continue;
		for (j = 0; j < 12; j++) {
			char c = path[pl + j];

			if (!((c >= '0' && c <= '9') ||
				(c >= 'a' && c <= 'f') ||
				(c >= 'A' && c <= 'F')))
				break;
			digits[j] = c;
		}
		if (j != 12)
			continue;
		digits[12] = '\0';
		if (store_mac_parse(digits, mac))
			return ENOENT;
		*file = forms[i].file;
		return 0;
	}
	return ENOENT;
}
