#!/usr/bin/perl
#
# tests/tools/mkmmdb.pl -- write a small MaxMind DB for the GeoIP tests.
#
#   perl tests/tools/mkmmdb.pl FILE [country|custom|asn]
#
# country (default): a GeoLite2-Country style database:
#   127.0.0.0/24     ES (country and registered_country)
#   127.0.1.0/24     FR
#   127.0.2.0/24     CN in registered_country only (no country)
#   127.0.3.0/24     KP
#   127.0.4.0/24     a continent, no country at all
#   127.0.5.0/24     "gb" in lower case
#   2001:db8:1::/48  US
# custom: the same data under database_type "centinela-test-geo".
# asn: a GeoLite2-ASN style database (no country data at all).
#
# IPv4 networks go into the IPv4 subtree (::/96) of an IPv6 tree. The
# IPv4-mapped range ::ffff:0:0/96 is deliberately NOT aliased to it, so
# a reader that looks up ::ffff:127.0.0.1 without converting it to IPv4
# finds nothing. 127/8 and 2001:db8::/32 are reserved, hence
# remove_reserved_networks => 0. The output is byte-for-byte
# deterministic: fixed build epoch and, because the serializer writes
# maps in Perl hash order, a fixed hash seed (the script re-executes
# itself once to set it).
#
# SPDX-License-Identifier: BSD-2-Clause

use strict;
use warnings;

BEGIN {
	if (!defined $ENV{PERL_HASH_SEED} || $ENV{PERL_HASH_SEED} ne '0') {
		$ENV{PERL_HASH_SEED} = '0';
		$ENV{PERL_PERTURB_KEYS} = '0';
		exec $^X, $0, @ARGV or die "mkmmdb.pl: exec $^X: $!\n";
	}
}

use MaxMind::DB::Writer::Tree;

my ($file, $kind) = @ARGV;
$kind //= 'country';
die "usage: mkmmdb.pl FILE [country|custom|asn]\n"
    if !defined $file || $kind !~ /^(country|custom|asn)$/;

my %types = (
	continent => 'map',
	country => 'map',
	registered_country => 'map',
	names => 'map',
	code => 'utf8_string',
	iso_code => 'utf8_string',
	en => 'utf8_string',
	geoname_id => 'uint32',
	autonomous_system_number => 'uint32',
	autonomous_system_organization => 'utf8_string',
);

sub place {
	my ($iso, $id, $name) = @_;
	return { iso_code => $iso, geoname_id => $id,
	    names => { en => $name } };
}

sub continent {
	my ($code, $id, $name) = @_;
	return { code => $code, geoname_id => $id, names => { en => $name } };
}

my $eu = continent('EU', 6255148, 'Europe');
my $as = continent('AS', 6255147, 'Asia');
my $na = continent('NA', 6255149, 'North America');
my $es = place('ES', 2510769, 'Spain');
my $fr = place('FR', 3017382, 'France');
my $cn = place('CN', 1814991, 'China');
my $kp = place('KP', 1873107, 'North Korea');
my $gb = place('gb', 2635167, 'United Kingdom');
my $us = place('US', 6252001, 'United States');

my @nets;
if ($kind eq 'asn') {
	@nets = (
		[ '127.0.0.0/24', { autonomous_system_number => 64496,
		    autonomous_system_organization => 'Example One' } ],
		[ '2001:db8:1::/48', { autonomous_system_number => 64497,
		    autonomous_system_organization => 'Example Two' } ],
	);
} else {
	@nets = (
		[ '127.0.0.0/24', { continent => $eu, country => $es,
		    registered_country => $es } ],
		[ '127.0.1.0/24', { continent => $eu, country => $fr,
		    registered_country => $fr } ],
		[ '127.0.2.0/24', { continent => $as,
		    registered_country => $cn } ],
		[ '127.0.3.0/24', { continent => $as, country => $kp,
		    registered_country => $kp } ],
		[ '127.0.4.0/24', { continent => $eu } ],
		[ '127.0.5.0/24', { continent => $eu, country => $gb,
		    registered_country => $gb } ],
		[ '2001:db8:1::/48', { continent => $na, country => $us,
		    registered_country => $us } ],
	);
}

my %dbtype = (
	country => 'GeoLite2-Country',
	custom => 'centinela-test-geo',
	asn => 'GeoLite2-ASN',
);

my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version => 6,
	record_size => 24,
	database_type => $dbtype{$kind},
	languages => ['en'],
	description => { en => 'centinela unit test database' },
	map_key_type_callback => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4 => 0,
	remove_reserved_networks => 0,
);
$tree->_set_build_epoch(1700000000);
$tree->insert_network($_->[0], $_->[1]) for @nets;

open(my $fh, '>:raw', $file) or die "mkmmdb.pl: $file: $!\n";
$tree->write_tree($fh);
close($fh) or die "mkmmdb.pl: $file: $!\n";
exit 0;
