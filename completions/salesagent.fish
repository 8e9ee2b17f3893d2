# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_salesagent_global_optspecs
    string join \n db= config= data-dir= json v/verbose q/quiet log-format= h/help V/version
end

function __fish_salesagent_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_salesagent_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_salesagent_using_subcommand
    set -l cmd (__fish_salesagent_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c salesagent -n "__fish_salesagent_needs_command" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_needs_command" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_needs_command" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_needs_command" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_needs_command" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c salesagent -n "__fish_salesagent_needs_command" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "run" -d 'Process one payload file (or - for stdin) through the pipeline now'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "workflows" -d 'List, show and retry workflows'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "drafts" -d 'List and show drafts'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "suppress" -d 'Manage the suppression list (never contact these)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "config" -d 'Inspect the configuration'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "crm" -d 'Look into the embedded CRM (contacts and tasks in the local database)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "stats" -d 'Throughput, success rate, latency to draft, approvals and errors over a window'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "db" -d 'Back up or restore the database'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "man" -d 'Print the man page, or write one page per command with --dir'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -f -a "list" -d 'List workflows, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -f -a "show" -d 'Show one workflow with all 13 steps'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -f -a "retry" -d 'Resume failed workflows at their first unfinished step'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l status -d 'Only this status: pending, running, completed, duplicate, suppressed, failed' -r -f -a "pending\t''
running\t''
completed\t''
duplicate\t''
suppressed\t''
failed\t''
cancelled\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l email -d 'Only workflows for this email address' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l since -d 'Only workflows created since: a duration (24h, 7d) or a date (2026-11-01)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l limit -d 'At most this many' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l by -d 'Who is retrying (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from help" -f -a "list" -d 'List workflows, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one workflow with all 13 steps'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Resume failed workflows at their first unfinished step'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'List drafts, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'Show one draft in full'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l status -r -f -a "pending_review\t''
approved\t''
rejected\t''
sending\t''
sent\t''
send_failed\t''
orphaned\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l sender -d 'Only drafts from this sender mailbox' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l since -d 'Only drafts created since: a duration (24h, 7d) or a date' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l min-score -d 'Only drafts whose lead scored at least this' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "list" -d 'List drafts, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one draft in full'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Never contact this address (or every address at @DOMAIN)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List suppressed addresses and domains'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Allow an address or domain again'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l reason -d 'Why (unsubscribed, bounced, asked by phone…)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l reason -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "add" -d 'Never contact this address (or every address at @DOMAIN)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "list" -d 'List suppressed addresses and domains'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Allow an address or domain again'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Show the effective configuration and every problem found'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l live -d 'Also call each configured service once (HubSpot, Gmail, LLM) and report OK or the reason'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Show the effective configuration and every problem found'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -f -a "contacts" -d 'List contacts in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -f -a "add-contact" -d 'Add a contact to the embedded CRM (e.g. one a Webhooks API event will name)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -f -a "tasks" -d 'List follow-up tasks in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l email -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l first-name -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l last-name -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l company -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l job-title -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l id -d 'The contact\'s numeric id (as a HubSpot object id); assigned when omitted' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from help" -f -a "contacts" -d 'List contacts in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from help" -f -a "add-contact" -d 'Add a contact to the embedded CRM (e.g. one a Webhooks API event will name)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from help" -f -a "tasks" -d 'List follow-up tasks in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l since -d 'The window: a duration (24h, 7d) or a date' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -f -a "backup" -d 'Write a consistent copy of the database while it is in use'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -f -a "restore" -d 'Replace the database\'s content with a backup (stop `serve` first)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l yes -d 'Do not ask for confirmation'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Write a consistent copy of the database while it is in use'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Replace the database\'s content with a backup (stop `serve` first)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l dir -d 'Write one page per command into this directory instead of printing the main page' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l db -d 'The SQLite database [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the database\'s directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l log-format -d 'Log format on stderr: human, or json (one object per line, for log shippers)' -r -f -a "human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "run" -d 'Process one payload file (or - for stdin) through the pipeline now'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "workflows" -d 'List, show and retry workflows'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "drafts" -d 'List and show drafts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "suppress" -d 'Manage the suppression list (never contact these)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "config" -d 'Inspect the configuration'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "crm" -d 'Look into the embedded CRM (contacts and tasks in the local database)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "stats" -d 'Throughput, success rate, latency to draft, approvals and errors over a window'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "db" -d 'Back up or restore the database'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "man" -d 'Print the man page, or write one page per command with --dir'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts suppress config crm stats db completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from workflows" -f -a "list" -d 'List workflows, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from workflows" -f -a "show" -d 'Show one workflow with all 13 steps'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from workflows" -f -a "retry" -d 'Resume failed workflows at their first unfinished step'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "list" -d 'List drafts, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "show" -d 'Show one draft in full'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from suppress" -f -a "add" -d 'Never contact this address (or every address at @DOMAIN)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from suppress" -f -a "list" -d 'List suppressed addresses and domains'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from suppress" -f -a "remove" -d 'Allow an address or domain again'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Show the effective configuration and every problem found'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from crm" -f -a "contacts" -d 'List contacts in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from crm" -f -a "add-contact" -d 'Add a contact to the embedded CRM (e.g. one a Webhooks API event will name)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from crm" -f -a "tasks" -d 'List follow-up tasks in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "backup" -d 'Write a consistent copy of the database while it is in use'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "restore" -d 'Replace the database\'s content with a backup (stop `serve` first)'
