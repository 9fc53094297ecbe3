# Sisimai's reading of bounce mail, for the corpus test: one line per recipient it finds,
# FILE<TAB>RECIPIENT<TAB>REASON<TAB>hard|soft|complaint|-
# Run with Debian's libsisimai-perl: perl sisimai_verdicts.pl FILE...
use strict;
use warnings;
use Sisimai;

for my $file (@ARGV) {
    my $facts = eval { Sisimai->make($file, delivered => 0, vacation => 0) } // [];
    for my $fact (@$facts) {
        my $verdict = $fact->softbounce == 1 ? 'soft' : $fact->softbounce == 0 ? 'hard' : '-';
        $verdict = 'complaint' if $fact->reason eq 'feedback';
        printf "%s\t%s\t%s\t%s\n", $file, lc($fact->recipient->address), $fact->reason, $verdict;
    }
}
