/*
 * prov/templates.c -- the embedded templates: the files of etc/prov/,
 * byte for byte (tests/unit/test_prov_tmpl.c compares them), used when
 * provisioning.templates_dir does not hold a file of the same name.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <stddef.h>

#include "prov/prov_int.h"

/* clang-format off */
static const char t_generic[] =
    "# centinela provisioning: device {{mac}}, account {{user}}@{{domain}}\n"
    "# A plain key = value file for phones and softphones without a vendor\n"
    "# format (served at /prov/{{mac}}.cfg). Values never hold a newline.\n"
    "sip.display_name = {{display}}\n"
    "sip.user = {{user}}\n"
    "sip.auth_user = {{auth_user}}\n"
    "sip.password = {{secret}}\n"
    "sip.domain = {{domain}}\n"
    "sip.realm = {{realm}}\n"
    "sip.server = {{sip_host}}:{{sip_port}}\n"
    "sip.transport = tls\n"
    "media.srtp = mandatory\n";

static const char t_yealink[] =
    "#!version:1.0.0.1\n"
    "## centinela provisioning: device {{mac}}, account {{user}}@{{domain}}\n"
    "account.1.enable = 1\n"
    "account.1.label = {{display}}\n"
    "account.1.display_name = {{display}}\n"
    "account.1.auth_name = {{auth_user}}\n"
    "account.1.user_name = {{user}}\n"
    "account.1.password = {{secret}}\n"
    "account.1.sip_server.1.address = {{sip_host}}\n"
    "account.1.sip_server.1.port = {{sip_port}}\n"
    "## 2: TLS\n"
    "account.1.sip_server.1.transport_type = 2\n"
    "## 2: SRTP compulsory\n"
    "account.1.srtp_encryption = 2\n"
    "account.1.outbound_proxy_enable = 0\n";

static const char t_snom[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<!-- centinela provisioning: device {{mac}}, account {{user}}@{{domain}} -->\n"
    "<settings>\n"
    " <phone-settings e=\"2\">\n"
    "  <user_active idx=\"1\" perm=\"R\">on</user_active>\n"
    "  <user_realname idx=\"1\" perm=\"R\">{{display}}</user_realname>\n"
    "  <user_name idx=\"1\" perm=\"R\">{{user}}</user_name>\n"
    "  <user_pname idx=\"1\" perm=\"R\">{{auth_user}}</user_pname>\n"
    "  <user_pass idx=\"1\" perm=\"R\">{{secret}}</user_pass>\n"
    "  <user_host idx=\"1\" perm=\"R\">{{sip_host}}:{{sip_port}};transport=tls</user_host>\n"
    "  <user_srtp idx=\"1\" perm=\"R\">on</user_srtp>\n"
    "  <user_savp idx=\"1\" perm=\"R\">mandatory</user_savp>\n"
    " </phone-settings>\n"
    "</settings>\n";

static const char t_grandstream[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- centinela provisioning: device {{mac}}, account {{user}}@{{domain}} -->\n"
    "<gs_provision version=\"1\">\n"
    " <mac>{{mac}}</mac>\n"
    " <config version=\"1\">\n"
    "  <!-- account 1: active, name, server, user, auth id, password -->\n"
    "  <P271>1</P271>\n"
    "  <P270>{{display}}</P270>\n"
    "  <P47>{{sip_host}}:{{sip_port}}</P47>\n"
    "  <P35>{{user}}</P35>\n"
    "  <P36>{{auth_user}}</P36>\n"
    "  <P34>{{secret}}</P34>\n"
    "  <P3>{{display}}</P3>\n"
    "  <!-- SIP transport 2: TLS; SRTP mode 2: enabled and forced -->\n"
    "  <P130>2</P130>\n"
    "  <P183>2</P183>\n"
    " </config>\n"
    "</gs_provision>\n";

static const char t_polycom[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<!-- centinela provisioning: device {{mac}}, account {{user}}@{{domain}} -->\n"
    "<polycomConfig>\n"
    " <reg reg.1.displayName=\"{{display}}\" reg.1.label=\"{{display}}\"\n"
    "  reg.1.address=\"{{user}}\" reg.1.auth.userId=\"{{auth_user}}\"\n"
    "  reg.1.auth.password=\"{{secret}}\"\n"
    "  reg.1.server.1.address=\"{{sip_host}}\" reg.1.server.1.port=\"{{sip_port}}\"\n"
    "  reg.1.server.1.transport=\"TLS\"/>\n"
    " <sec sec.srtp.enable=\"1\" sec.srtp.offer=\"1\" sec.srtp.require=\"1\"/>\n"
    "</polycomConfig>\n";

static const char t_polycom_master[] =
    "<?xml version=\"1.0\" standalone=\"yes\"?>\n"
    "<!-- centinela provisioning: the master file of device {{mac}} -->\n"
    "<APPLICATION APP_FILE_PATH=\"sip.ld\" CONFIG_FILES=\"{{mac}}-phone.cfg\"\n"
    " MISC_FILES=\"\" LOG_FILE_DIRECTORY=\"\" OVERRIDES_DIRECTORY=\"\"\n"
    " CONTACTS_DIRECTORY=\"\" LICENSE_DIRECTORY=\"\"/>\n";

const struct prov_builtin prov_builtins[] = {
	{ "generic", t_generic, sizeof(t_generic) - 1 },
	{ "yealink", t_yealink, sizeof(t_yealink) - 1 },
	{ "snom", t_snom, sizeof(t_snom) - 1 },
	{ "grandstream", t_grandstream, sizeof(t_grandstream) - 1 },
	{ "polycom", t_polycom, sizeof(t_polycom) - 1 },
	{ "polycom-master", t_polycom_master, sizeof(t_polycom_master) - 1 },
	{ NULL, NULL, 0 },
};
/* clang-format on */
