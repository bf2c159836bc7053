# Creates and fills the customers table, with the credentials the platform gives the app in
# STACKATO_SERVICES (the seed's preload script).
use strict;
use warnings;
use DBI;
use DBD::mysql;
use JSON "decode_json";

my $services = decode_json($ENV{STACKATO_SERVICES});
my $credentials = $services->{customerdb};
my $dbh = DBI->connect("DBI:mysql:database=$credentials->{name};hostname=$credentials->{hostname};port=$credentials->{port};",
    $credentials->{'user'}, $credentials->{'password'})
    or die "Unable to connect: $DBI::errstr\n";

$dbh->do('CREATE TABLE IF NOT EXISTS customers (
  id INT(11) AUTO_INCREMENT PRIMARY KEY,
  customername TEXT,
  created DATETIME
)');
$dbh->do('INSERT INTO customers (customername, created) VALUES ("John Doe", now()), ("Sarah Smith", now())');
$dbh->disconnect;
