/*
 * callerid/cnmc.h -- the CNMC numbering register files: the
 * tables of bd-num.zip (geograficos.txt, moviles.txt and the others of
 * the same layout) read into register ranges (struct num_range).
 *
 * A line is six '#'-separated fields, in windows-1252 (or ISO-8859-15):
 *
 *	NXY # BLOCK # AREA # STATUS # OPERATOR # DATE
 *
 *	822#24#Santa Cruz de Tenerife#Asignado#AIRE NETWORKS ...#09/07/2013
 *	606###Asignado#TELEFÓNICA MÓVILES ESPAÑA, S.A. UNIPERSONAL#30/07/1998
 *	71#10##Asignado#ZINNIA TELECOMUNICACIONES, S.L. UNIPERSONAL#12/09/2017
 *
 * NXY is 2 to 4 digits ("71" is the 2-digit form of the 7x mobile
 * ranges); BLOCK 0 to 4 digits (empty: the whole NXY; 2 digits: 10,000
 * numbers of a geographic NXY, 3 digits since 2021: 1,000); AREA the
 * province or network type, free text (may be blank); STATUS
 * "Asignado", "Compartido" or "Subasignado N[,N...]" (the word in any
 * case); OPERATOR not empty; DATE dd/mm/yyyy, a real calendar date.
 * The range is "34" + NXY + BLOCK, and for a Subasignado line one range
 * per sub-block: "822#24 ... Subasignado 03" is 348222403 (numbers
 * 822240300 to 822240399), "601#5 ... Subasignado 0,1,2" three ranges.
 * Fields are trimmed of blanks; blank lines are skipped; a UTF-8 byte
 * order mark at the start is ignored. Text comes out as UTF-8.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_CALLERID_CNMC_H
#define CENTINELA_CALLERID_CNMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CNMC_LINE_MAX 4096 /* bytes of one line, before conversion */
#define CNMC_MSG_MAX 384 /* one bad-row message */

enum cnmc_encoding {
	CNMC_WINDOWS_1252 = 0, /* the register's own; the default */
	CNMC_ISO_8859_15,
	CNMC_UTF8
};

/* "windows-1252" (or "cp1252"), "iso-8859-15" (or "latin9"), "utf-8". */
int cnmc_encoding_parse(const char *name, enum cnmc_encoding *enc);
const char *cnmc_encoding_name(enum cnmc_encoding enc);

/* What a parse saw; "pos" moves as it goes (for progress). */
struct cnmc_stats {
	uint64_t lines; /* lines read, blank ones included */
	uint64_t rows; /* good rows */
	uint64_t ranges; /* ranges they gave (sub-blocks expanded) */
	uint64_t bad; /* bad rows */
	size_t pos; /* bytes of the input consumed */
};

/*
 * Called for each range of a good row; the range is valid during the
 * call only. A non-zero return stops the parse and is returned.
 */
typedef int(cnmc_range_h)(const struct num_range *r, void *arg);
/* Called for each bad row with "NAME:LINE: what is wrong". */
typedef void(cnmc_bad_h)(const char *msg, void *arg);

/*
 * Parse the register file "name" (its base name goes into each range's
 * source, "geograficos.txt:12") held in buf/len, from encoding "enc".
 * Every line is checked: each good row's ranges go to range(), each bad
 * row to bad() (either may be NULL), and parsing goes on, so one pass
 * reports every bad row. "st" (may be NULL) is zeroed first and
 * counts. Returns 0 when every row was good, EBADMSG when at least one
 * was bad (whether its good rows are kept is the caller's choice:
 * centinelactl refuses the file unless --skip-bad), EINVAL (NULL
 * buffer or name), ENOMEM, or the first non-zero value of range().
 */
int cnmc_parse(const char *name, const char *buf, size_t len,
    enum cnmc_encoding enc, cnmc_range_h *range, cnmc_bad_h *bad, void *arg,
    struct cnmc_stats *st);

/*
 * True when buf/len is valid UTF-8 with at least one multi-byte
 * character: most likely a register file someone converted to UTF-8
 * (read as windows-1252 it would give "Ã“" for "Ó").
 */
bool cnmc_looks_utf8(const char *buf, size_t len);

#endif /* CENTINELA_CALLERID_CNMC_H */
