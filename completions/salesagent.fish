# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_salesagent_global_optspecs
    string join \n db= config= data-dir= tenant= json v/verbose q/quiet log-format= h/help V/version
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

complete -c salesagent -n "__fish_salesagent_needs_command" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_needs_command" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_needs_command" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_needs_command" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_needs_command" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_needs_command" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c salesagent -n "__fish_salesagent_needs_command" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "run" -d 'Process one payload file (or - for stdin) through the pipeline now'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "workflows" -d 'List, show and retry workflows'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "drafts" -d 'List, show, review, approve, reject and send drafts'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "mode" -d 'Show or switch the mode (draft-only or send)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "audit" -d 'Read the append-only audit log'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "dlq" -d 'Dead letters: list, show, retry and export jobs that used up their attempts'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "quarantine" -d 'Authenticated webhooks that could not be parsed: list, show, replay, discard'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "suppress" -d 'Manage the suppression list (never contact these)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "config" -d 'Inspect the configuration'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "crm" -d 'Look into the embedded CRM (contacts and tasks in the local database)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "stats" -d 'Throughput, success rate, latency to draft, approvals and errors over a window'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "db" -d 'Back up or restore the database, or copy it to PostgreSQL'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "man" -d 'Print the man page, or write one page per command with --dir'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "import" -d 'Import leads from a CSV file; list, inspect, pause, resume and cancel imports'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "reconcile" -d 'Find (and with --fix, safely repair) drift between the store, the mailbox and the CRM'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "openapi" -d 'Print the OpenAPI 3.1 document of /api/v1 (what GET /api/v1/openapi.json serves)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "keys" -d 'Tenant-scoped API keys for /api/v1: create, list, revoke, rotate'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "serve" -d 'Receive signed HubSpot webhooks and run workers until SIGTERM/SIGINT'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "worker" -d 'Run workers only, sharing the queue with `serve` and other workers'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "webhook" -d 'Sign a payload as HubSpot would, or sign and send it to a deployment'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "probe" -d 'Post a signed synthetic submission, wait for its workflow, clean up; for cron or a monitor'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "queues" -d 'Jobs per queue and state, dead letters and live workers'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "eval" -d 'Re-compose past leads with a candidate prompt/model/templates and compare the drafts'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "tenants" -d 'The tenants of this deployment: portals, connectors, mode and counts'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "usage" -d 'What each tenant used per UTC day or month, with totals; CSV for a billing system'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "privacy" -d 'Forget a person: erase an address everywhere in a tenant (GDPR Art. 17)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "purge" -d 'Delete what is older than [retention] allows, in small batches (for cron)'
complete -c salesagent -n "__fish_salesagent_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand run" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and not __fish_seen_subcommand_from list show retry help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
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
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l all -d 'Every match, however many'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l by -d 'Who is retrying (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l from-step -d 'Redo a failed workflow from this step (validate, suppression, …, task, finalize), rerunning the steps after it that had completed; side-effect steps look their object up first, so nothing is created twice. Completed workflows are not retried: to write a pending draft again, use `salesagent drafts recompose ID`' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand workflows; and __fish_seen_subcommand_from retry" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
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
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "list" -d 'List drafts, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "show" -d 'Show one draft in full: what the lead wrote, who they are, the draft, what approving does'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "approve" -d 'Approve drafts (in SEND mode this sends them)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "reject" -d 'Reject drafts: they leave the mailbox and are never sent'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "send" -d 'Send approved drafts (SEND mode only; every gate is re-checked)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "review" -d 'Review pending drafts one by one, oldest first (needs a terminal)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "recompose" -d 'Write pending drafts again with the current templates and prompts (the earlier text is kept as a superseded draft; the mailbox draft is updated in place)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and not __fish_seen_subcommand_from list show approve reject send review recompose help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l status -r -f -a "pending_review\t''
approved\t''
rejected\t''
sending\t''
sent\t''
send_failed\t''
orphaned\t''
superseded\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l sender -d 'Only drafts from this sender mailbox' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l since -d 'Only drafts created since: a duration (24h, 7d) or a date' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l min-score -d 'Only drafts whose lead scored at least this' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l all -d 'Every match, however many'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l sender -d 'With --all-pending: only drafts from this sender' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l min-score -d 'With --all-pending: only drafts whose lead scored at least this' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l by -d 'Who approves (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l note -d 'A note kept with the decision' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l all-pending -d 'Every pending draft, oldest first (narrow it with --sender and --min-score)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -s y -l yes -d 'Do not ask before acting on every pending draft'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from approve" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l reason -d 'Why (kept in the audit log)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l by -d 'Who rejects (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from reject" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l by -d 'Who sends (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l approved -d 'Every approved draft (oldest first)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -s y -l yes -d 'Do not ask first'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from send" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l sender -d 'Only drafts from this sender' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l by -d 'Who reviews (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from review" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l sender -d 'With --all-pending: only drafts from this sender' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l min-score -d 'With --all-pending: only drafts whose lead scored at least this' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l by -d 'Who recomposes (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l all-pending -d 'Every pending draft, oldest first (narrow it with --sender and --min-score)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -s y -l yes -d 'Do not ask before acting on every pending draft'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from recompose" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "list" -d 'List drafts, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one draft in full: what the lead wrote, who they are, the draft, what approving does'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "approve" -d 'Approve drafts (in SEND mode this sends them)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "reject" -d 'Reject drafts: they leave the mailbox and are never sent'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "send" -d 'Send approved drafts (SEND mode only; every gate is re-checked)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "review" -d 'Review pending drafts one by one, oldest first (needs a terminal)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "recompose" -d 'Write pending drafts again with the current templates and prompts (the earlier text is kept as a superseded draft; the mailbox draft is updated in place)'
complete -c salesagent -n "__fish_salesagent_using_subcommand drafts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -f -a "show" -d 'Show the mode, who set it, when and why, and which SEND gates pass'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -f -a "set" -d 'Switch the mode: `send` (only when every gate passes) or `draft-only` (always allowed)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and not __fish_seen_subcommand_from show set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l reason -d 'Why (kept in the audit log); required for send, optional for draft-only' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l by -d 'Who switches (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -s y -l yes -d 'Do not ask before switching to send'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l all-tenants -d 'Every tenant at once: the global kill switch (`draft-only` only; SEND is switched on one tenant at a time, with that tenant\'s gates)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the mode, who set it, when and why, and which SEND gates pass'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from help" -f -a "set" -d 'Switch the mode: `send` (only when every gate passes) or `draft-only` (always allowed)'
complete -c salesagent -n "__fish_salesagent_using_subcommand mode; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -f -a "list" -d 'List audit entries, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and not __fish_seen_subcommand_from list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l action -d 'Only this action (mode.set, draft.approve, draft.reject, draft.edit, draft.send, dlq.retry…)' -r -f -a "api_key.create\t''
api_key.revoke\t''
api_key.rotate\t''
db.restore\t''
dlq.retry\t''
draft.approve\t''
draft.edit\t''
draft.recompose\t''
draft.reject\t''
draft.send\t''
draft.send_failed\t''
mode.set\t''
mode.set_refused\t''
privacy.erase\t''
privacy.erase_remote\t''
purge.run\t''
quarantine.discard\t''
quarantine.replay\t''
submission.create\t''
suppression.add\t''
suppression.remove\t''
workflow.retry\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l actor -d 'Only this actor' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l since -d 'Only entries since: a duration (24h, 7d) or a date' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l subject -d 'Only entries about this subject (a draft, dead letter, workflow or quarantine id, or `mode`)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l all -d 'Every match, however many'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "list" -d 'List audit entries, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -f -a "list" -d 'List dead letters waiting for an operator, oldest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -f -a "show" -d 'Show one dead letter: every attempt\'s error and the payload'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -f -a "retry" -d 'Requeue dead letters with a fresh set of attempts'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -f -a "export" -d 'Export dead letters as CSV or JSON lines'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and not __fish_seen_subcommand_from list show retry export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l class -d 'Only this error class' -r -f -a "transient\t''
recoverable\t''
configuration\t''
invalid_input\t''
external_service\t''
internal\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l since -d 'Only dead letters since: a duration (24h, 7d) or a date' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l limit -d 'At most this many (0: no limit)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l all -d 'Also those already retried or resolved'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l class -d 'Every waiting dead letter of this error class' -r -f -a "transient\t''
recoverable\t''
configuration\t''
invalid_input\t''
external_service\t''
internal\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l by -d 'Who retries (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l all -d 'Every waiting dead letter'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l dry-run -d 'Say what would be retried, change nothing'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l now -d 'Run each workflow here and now instead of leaving it to a worker'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -s y -l yes -d 'Do not ask before retrying several'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l format -r -f -a "csv\t''
jsonl\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -s o -l output -d 'Write here instead of stdout (never over an existing file without --force)' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l class -d 'Only this error class' -r -f -a "transient\t''
recoverable\t''
configuration\t''
invalid_input\t''
external_service\t''
internal\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l force -d 'Replace the --output file if it exists'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l all -d 'Also those already retried or resolved'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "list" -d 'List dead letters waiting for an operator, oldest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one dead letter: every attempt\'s error and the payload'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Requeue dead letters with a fresh set of attempts'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "export" -d 'Export dead letters as CSV or JSON lines'
complete -c salesagent -n "__fish_salesagent_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -f -a "list" -d 'List quarantined payloads nobody has replayed or discarded, oldest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -f -a "show" -d 'Show one quarantined payload: why it was kept, and the body as received'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -f -a "replay" -d 'Parse quarantined payloads again with this version and queue workflows for what it reads'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -f -a "discard" -d 'Set quarantined payloads aside for good (audited; the body is kept for the record)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and not __fish_seen_subcommand_from list show replay discard help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l done -d 'Also those already replayed or discarded'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l all -d 'Every match, however many'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l by -d 'Who replays (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l all -d 'Every payload waiting in quarantine'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l dry-run -d 'Say what each payload would become, change nothing'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -s y -l yes -d 'Do not ask before replaying several'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from replay" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l reason -d 'Why (kept in the audit log)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l by -d 'Who discards (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from discard" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from help" -f -a "list" -d 'List quarantined payloads nobody has replayed or discarded, oldest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one quarantined payload: why it was kept, and the body as received'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from help" -f -a "replay" -d 'Parse quarantined payloads again with this version and queue workflows for what it reads'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from help" -f -a "discard" -d 'Set quarantined payloads aside for good (audited; the body is kept for the record)'
complete -c salesagent -n "__fish_salesagent_using_subcommand quarantine; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Never contact this address (or every address at @DOMAIN)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'List suppressed addresses and domains: the tenant\'s own and the global ones'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Allow an address or domain again'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l reason -d 'Why (unsubscribed, bounced, asked by phone…)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l global -d 'On the global list, which every tenant honours (instead of one tenant\'s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l global -d 'Only the global list'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l reason -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l global -d 'From the global list'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "add" -d 'Never contact this address (or every address at @DOMAIN)'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "list" -d 'List suppressed addresses and domains: the tenant\'s own and the global ones'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Allow an address or domain again'
complete -c salesagent -n "__fish_salesagent_using_subcommand suppress; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Show the effective configuration and every problem found'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l live -d 'Also call each configured service once (HubSpot, Gmail, LLM) and report OK or the reason'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Show the effective configuration and every problem found'
complete -c salesagent -n "__fish_salesagent_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and not __fish_seen_subcommand_from contacts add-contact tasks help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
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
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from contacts" -l all -d 'Every match, however many'
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
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from add-contact" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand crm; and __fish_seen_subcommand_from tasks" -l all -d 'Every match, however many'
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
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand stats" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -f -a "backup" -d 'Write a consistent copy of the database while it is in use'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -f -a "restore" -d 'Replace the database with a checked backup (refused while serve or workers run)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -f -a "copy" -d 'Copy the SQLite database into an empty PostgreSQL one, then compare row counts'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and not __fish_seen_subcommand_from backup restore copy help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from backup" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l yes -d 'Do not ask for confirmation'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l force -d 'Restore even while serve or worker processes are alive (their in-flight work is lost)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l to -d 'The PostgreSQL database to copy into: postgres://USER@HOST[:PORT]/DBNAME (its tables must be empty, or hold an interrupted copy of this same source)' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l batch -d 'Rows per transaction' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l restart -d 'Empty the target\'s tables first and copy from the start (only when they hold an earlier copy of this same source)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l yes -d 'Do not ask before --restart empties the target\'s tables'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l force -d 'Copy even while serve or worker processes are alive on the source (what they write meanwhile is not copied)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from copy" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "backup" -d 'Write a consistent copy of the database while it is in use'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Replace the database with a checked backup (refused while serve or workers run)'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "copy" -d 'Copy the SQLite database into an empty PostgreSQL one, then compare row counts'
complete -c salesagent -n "__fish_salesagent_using_subcommand db; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand completions" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l dir -d 'Write one page per command into this directory instead of printing the main page' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l force -d 'Replace pages that already exist in --dir'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand man" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l form-id -d 'The form id for rows without one (files with no formId column need it)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l map -d 'Read COLUMN as FIELD (email, first_name, last_name, full_name, company, job_title, phone, message, form_id, custom, ignore); repeatable' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l dry-run -d 'Validate every row and report, writing nothing'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "list" -d 'List imports, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "status" -d 'Rows read, accepted and rejected, and how far the import\'s workflows have got'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "errors" -d 'The rejected rows of an import (`--format csv`: ready to fix and import again)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "pause" -d 'Hold the import\'s queued jobs (workers skip them) and stop reading its file'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "resume" -d 'Release held (or cancelled) jobs, and continue reading the file from the checkpoint if it was not finished'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "cancel" -d 'Cancel the import\'s queued jobs; finished work is kept (`import resume` undoes it)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and not __fish_seen_subcommand_from list status errors pause resume cancel help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l all -d 'Every match, however many'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l format -d 'table (default), csv (the rows plus error_row, error_column, error_reason, error_extra_fields), or json' -r -f -a "table\t''
csv\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -s o -l output -d 'Write the csv or json here instead of stdout (never over an existing file without --force)' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l force -d 'Replace the --output file if it exists'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from errors" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from pause" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l file -d 'Where the file is now, if it moved since the import started' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from resume" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from cancel" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "list" -d 'List imports, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "status" -d 'Rows read, accepted and rejected, and how far the import\'s workflows have got'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "errors" -d 'The rejected rows of an import (`--format csv`: ready to fix and import again)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "pause" -d 'Hold the import\'s queued jobs (workers skip them) and stop reading its file'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Release held (or cancelled) jobs, and continue reading the file from the checkpoint if it was not finished'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel the import\'s queued jobs; finished work is kept (`import resume` undoes it)'
complete -c salesagent -n "__fish_salesagent_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l since -d 'Only drafts and workflows created since: a duration (24h, 7d) or a date (2026-11-01)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l check -d 'Run only these checks (repeatable; default: all)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l stuck-after -d 'A running workflow without progress for this long is stuck' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l fix -d 'Apply safe repairs: re-create missing tasks, requeue stuck workflows, mark orphan drafts'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -f -a "reports" -d 'List stored reports, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -f -a "report" -d 'Show one stored report with its findings and fixes'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and not __fish_seen_subcommand_from reports report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l all -d 'Every match, however many'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from reports" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from help" -f -a "reports" -d 'List stored reports, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from help" -f -a "report" -d 'Show one stored report with its findings and fixes'
complete -c salesagent -n "__fish_salesagent_using_subcommand reconcile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand openapi" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "create" -d 'Make a key for one tenant and print it once'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "list" -d 'List keys: id, name, prefix, scopes, created, expires, last used, revoked'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "revoke" -d 'Revoke a key at once: every request with it gets 401 from then on'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "rotate" -d 'Replace a key by a new one; the old one keeps working until the overlap ends'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l name -d 'What the key is for (shown in lists): "zapier", "slack-bot"' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l scope -d 'What the key may do; repeat or separate with commas (submissions:write, workflows:read, workflows:write, drafts:read, drafts:review, dlq:read, dlq:write, usage:read)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l expires -d 'The key stops working after this long (90d, 12h); no expiry when absent' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l rate -d 'Requests per second the key may make on average [default: 10]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l burst -d 'Requests the key may make at once before the rate applies [default: 50]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l by -d 'Who is creating it (default: $USER)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l reason -d 'Why (left the company, leaked…)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l overlap -d 'How long the old key keeps working (0 stops it at once)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "create" -d 'Make a key for one tenant and print it once'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'List keys: id, name, prefix, scopes, created, expires, last used, revoked'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a key at once: every request with it gets 401 from then on'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Replace a key by a new one; the old one keeps working until the overlap ends'
complete -c salesagent -n "__fish_salesagent_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l listen -d 'Address to listen on [default: webhook.listen, 127.0.0.1:8080]; port 0 picks a free port' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l workers -d 'Worker threads in this process [default: worker.workers]; 0 runs intake only' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l insecure-no-signature -d 'Accept unsigned webhooks when no secret is set. Anyone who can reach the port can then inject leads: for a local trial only'
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand serve" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l workers -d 'Worker threads [default: worker.workers]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l queues -d 'Queues to serve, comma-separated, each optionally with a concurrency cap: `priority,normal,batch=1` [default: all four]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand worker" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -f -a "sign" -d 'Print the signature headers for a payload file'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -f -a "send" -d 'Sign a payload file and POST it to a running `serve`'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and not __fish_seen_subcommand_from sign send help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l url -d 'The full URL the signature covers [default: webhook.public_url, else http://LISTEN/api/webhooks/hubspot/forms]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l signature-version -d 'Signature version' -r -f -a "v1\t''
v2\t''
v3\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l timestamp -d 'Request timestamp in epoch milliseconds [default: now] (for testing stale requests)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from sign" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l url -d 'The full URL to post to (the signature covers it)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l signature-version -d 'Signature version' -r -f -a "v1\t''
v2\t''
v3\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l timestamp -d 'Request timestamp in epoch milliseconds [default: now] (for testing stale requests)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from send" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "sign" -d 'Print the signature headers for a payload file'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "send" -d 'Sign a payload file and POST it to a running `serve`'
complete -c salesagent -n "__fish_salesagent_using_subcommand webhook; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l url -d 'The webhook URL of the deployment, exactly as HubSpot calls it (with --tenant, the shared URL: a tenant with its own secret is probed at its own URL beside it)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l timeout -d 'Give up after this long (e.g. 30s, 2m)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l keep -d 'Keep the synthetic workflow instead of deleting it (to inspect it)'
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c salesagent -n "__fish_salesagent_using_subcommand probe" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand queues" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -f -a "run" -d 'Re-compose past leads with a candidate (only validate, score, route, compose and guard run: no CRM or mailbox call, no draft, nothing in the workflow tables)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -f -a "show" -d 'A run\'s figures and, per lead, the operator\'s draft beside the candidate\'s with a word diff'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -f -a "report" -d 'Write a run as one self-contained HTML page, for sharing'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -f -a "list" -d 'Eval runs, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -f -a "compare" -d 'Two runs (two candidates) over the same leads'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and not __fish_seen_subcommand_from run show report list compare help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l candidate -d 'The candidate: a TOML overlay of [llm], [prompts] (system, user), [templates], [routing] and [connectors] composer' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l since -d 'Past drafts created within this window (e.g. 30d, 12h, or an RFC 3339 time) [default: 30d]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l ids -d 'These workflows or drafts (ids or prefixes, comma-separated)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l sample -d 'A random sample of this many past drafts' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l resume -d 'Continue a run that was interrupted (its stored candidate and leads)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l summary-only -d 'Only the figures, not each lead'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l html -d 'Where to write the page' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l force -d 'Replace FILE if it exists'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l limit -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from compare" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from help" -f -a "run" -d 'Re-compose past leads with a candidate (only validate, score, route, compose and guard run: no CRM or mailbox call, no draft, nothing in the workflow tables)'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from help" -f -a "show" -d 'A run\'s figures and, per lead, the operator\'s draft beside the candidate\'s with a word diff'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from help" -f -a "report" -d 'Write a run as one self-contained HTML page, for sharing'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from help" -f -a "list" -d 'Eval runs, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from help" -f -a "compare" -d 'Two runs (two candidates) over the same leads'
complete -c salesagent -n "__fish_salesagent_using_subcommand eval; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -f -a "list" -d 'Every tenant: portals, mode, workflows, drafts waiting, dead letters, last submission'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -f -a "show" -d 'One tenant in full, with its connectors and credential sources'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and not __fish_seen_subcommand_from list show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every tenant: portals, mode, workflows, drafts waiting, dead letters, last submission'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "show" -d 'One tenant in full, with its connectors and credential sources'
complete -c salesagent -n "__fish_salesagent_using_subcommand tenants; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l since -d 'From this day on (UTC) to today: a duration (30d, 12w) or a date (2026-11-01) [default: 30d]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l month -d 'One calendar month (UTC), e.g. 2026-11' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l by -d 'One row per tenant and day, or per tenant and month' -r -f -a "day\t''
month\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l format -d 'table on a terminal; csv is what a billing system imports [default: table, or csv with --output; json with --json]' -r -f -a "table\t''
csv\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -s o -l output -d 'Write here instead of stdout (never over an existing file without --force)' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l force -d 'Replace the --output file if it exists'
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand usage" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -f -a "erase" -d 'Erase every trace of these addresses: rows, mail files, Gmail drafts, the HubSpot contact'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and not __fish_seen_subcommand_from erase help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l reason -d 'Why (the request\'s ticket, "asked by email on 2026-11-30"…); recorded in the audit log' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l dry-run -d 'List what would be erased, per table and file, and change nothing'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l retry -d 'Call the remote services again for erasures that failed before'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l yes -d 'Do not ask for confirmation (needed without a terminal)'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from erase" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from help" -f -a "erase" -d 'Erase every trace of these addresses: rows, mail files, Gmail drafts, the HubSpot contact'
complete -c salesagent -n "__fish_salesagent_using_subcommand privacy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l batch -d 'Rows per transaction (smaller batches hold the write lock for less time)' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l pause-ms -d 'Milliseconds to pause between batches, so intake and workers get the lock' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l as-of -d 'Purge as if it were this time (a date, RFC 3339, or a duration ago such as 7d): with --dry-run, what a later run will purge' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l by -r
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l db -d 'The database: a SQLite file, or postgres://USER@HOST[:PORT]/DBNAME (add ?sslmode=require for TLS, &sslrootcert=CA.pem for a private CA) [env: SALESAGENT_DB] [default: ./salesagent.db]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l config -d 'The config file [env: SALESAGENT_CONFIG] [default: ./salesagent.toml when present]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l data-dir -d 'Where mail files go [env: SALESAGENT_DATA_DIR] [default: the SQLite file\'s directory; with PostgreSQL, the working directory]' -r -F
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l tenant -d 'The tenant to act on [default: the only one; reads show every tenant when there are several, changes refuse to guess]' -r
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l log-format -d 'Log format on stderr: human, json (one object per line), or auto (json for serve and worker when stderr is not a terminal, human otherwise)' -r -f -a "auto\t''
human\t''
json\t''"
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l dry-run -d 'Count what would be purged, per kind, and change nothing'
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -l json -d 'Print results as JSON (stable snake_case fields)'
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug)'
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -s q -l quiet -d 'Only errors on stderr'
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -s h -l help -d 'Print help'
complete -c salesagent -n "__fish_salesagent_using_subcommand purge" -s V -l version -d 'Print version'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "run" -d 'Process one payload file (or - for stdin) through the pipeline now'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "workflows" -d 'List, show and retry workflows'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "drafts" -d 'List, show, review, approve, reject and send drafts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "mode" -d 'Show or switch the mode (draft-only or send)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "audit" -d 'Read the append-only audit log'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "dlq" -d 'Dead letters: list, show, retry and export jobs that used up their attempts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "quarantine" -d 'Authenticated webhooks that could not be parsed: list, show, replay, discard'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "suppress" -d 'Manage the suppression list (never contact these)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "config" -d 'Inspect the configuration'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "crm" -d 'Look into the embedded CRM (contacts and tasks in the local database)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "stats" -d 'Throughput, success rate, latency to draft, approvals and errors over a window'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "db" -d 'Back up or restore the database, or copy it to PostgreSQL'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "completions" -d 'Print a shell completion script'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "man" -d 'Print the man page, or write one page per command with --dir'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "import" -d 'Import leads from a CSV file; list, inspect, pause, resume and cancel imports'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "reconcile" -d 'Find (and with --fix, safely repair) drift between the store, the mailbox and the CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "openapi" -d 'Print the OpenAPI 3.1 document of /api/v1 (what GET /api/v1/openapi.json serves)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "keys" -d 'Tenant-scoped API keys for /api/v1: create, list, revoke, rotate'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "serve" -d 'Receive signed HubSpot webhooks and run workers until SIGTERM/SIGINT'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "worker" -d 'Run workers only, sharing the queue with `serve` and other workers'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "webhook" -d 'Sign a payload as HubSpot would, or sign and send it to a deployment'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "probe" -d 'Post a signed synthetic submission, wait for its workflow, clean up; for cron or a monitor'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "queues" -d 'Jobs per queue and state, dead letters and live workers'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "eval" -d 'Re-compose past leads with a candidate prompt/model/templates and compare the drafts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "tenants" -d 'The tenants of this deployment: portals, connectors, mode and counts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "usage" -d 'What each tenant used per UTC day or month, with totals; CSV for a billing system'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "privacy" -d 'Forget a person: erase an address everywhere in a tenant (GDPR Art. 17)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "purge" -d 'Delete what is older than [retention] allows, in small batches (for cron)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and not __fish_seen_subcommand_from run workflows drafts mode audit dlq quarantine suppress config crm stats db completions man import reconcile openapi keys serve worker webhook probe queues eval tenants usage privacy purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from workflows" -f -a "list" -d 'List workflows, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from workflows" -f -a "show" -d 'Show one workflow with all 13 steps'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from workflows" -f -a "retry" -d 'Resume failed workflows at their first unfinished step'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "list" -d 'List drafts, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "show" -d 'Show one draft in full: what the lead wrote, who they are, the draft, what approving does'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "approve" -d 'Approve drafts (in SEND mode this sends them)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "reject" -d 'Reject drafts: they leave the mailbox and are never sent'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "send" -d 'Send approved drafts (SEND mode only; every gate is re-checked)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "review" -d 'Review pending drafts one by one, oldest first (needs a terminal)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from drafts" -f -a "recompose" -d 'Write pending drafts again with the current templates and prompts (the earlier text is kept as a superseded draft; the mailbox draft is updated in place)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from mode" -f -a "show" -d 'Show the mode, who set it, when and why, and which SEND gates pass'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from mode" -f -a "set" -d 'Switch the mode: `send` (only when every gate passes) or `draft-only` (always allowed)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "list" -d 'List audit entries, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "list" -d 'List dead letters waiting for an operator, oldest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "show" -d 'Show one dead letter: every attempt\'s error and the payload'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "retry" -d 'Requeue dead letters with a fresh set of attempts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "export" -d 'Export dead letters as CSV or JSON lines'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from quarantine" -f -a "list" -d 'List quarantined payloads nobody has replayed or discarded, oldest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from quarantine" -f -a "show" -d 'Show one quarantined payload: why it was kept, and the body as received'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from quarantine" -f -a "replay" -d 'Parse quarantined payloads again with this version and queue workflows for what it reads'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from quarantine" -f -a "discard" -d 'Set quarantined payloads aside for good (audited; the body is kept for the record)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from suppress" -f -a "add" -d 'Never contact this address (or every address at @DOMAIN)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from suppress" -f -a "list" -d 'List suppressed addresses and domains: the tenant\'s own and the global ones'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from suppress" -f -a "remove" -d 'Allow an address or domain again'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Show the effective configuration and every problem found'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from crm" -f -a "contacts" -d 'List contacts in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from crm" -f -a "add-contact" -d 'Add a contact to the embedded CRM (e.g. one a Webhooks API event will name)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from crm" -f -a "tasks" -d 'List follow-up tasks in the embedded CRM'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "backup" -d 'Write a consistent copy of the database while it is in use'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "restore" -d 'Replace the database with a checked backup (refused while serve or workers run)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from db" -f -a "copy" -d 'Copy the SQLite database into an empty PostgreSQL one, then compare row counts'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "list" -d 'List imports, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "status" -d 'Rows read, accepted and rejected, and how far the import\'s workflows have got'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "errors" -d 'The rejected rows of an import (`--format csv`: ready to fix and import again)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "pause" -d 'Hold the import\'s queued jobs (workers skip them) and stop reading its file'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "resume" -d 'Release held (or cancelled) jobs, and continue reading the file from the checkpoint if it was not finished'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "cancel" -d 'Cancel the import\'s queued jobs; finished work is kept (`import resume` undoes it)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from reconcile" -f -a "reports" -d 'List stored reports, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from reconcile" -f -a "report" -d 'Show one stored report with its findings and fixes'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "create" -d 'Make a key for one tenant and print it once'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "list" -d 'List keys: id, name, prefix, scopes, created, expires, last used, revoked'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "revoke" -d 'Revoke a key at once: every request with it gets 401 from then on'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "rotate" -d 'Replace a key by a new one; the old one keeps working until the overlap ends'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "sign" -d 'Print the signature headers for a payload file'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from webhook" -f -a "send" -d 'Sign a payload file and POST it to a running `serve`'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from eval" -f -a "run" -d 'Re-compose past leads with a candidate (only validate, score, route, compose and guard run: no CRM or mailbox call, no draft, nothing in the workflow tables)'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from eval" -f -a "show" -d 'A run\'s figures and, per lead, the operator\'s draft beside the candidate\'s with a word diff'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from eval" -f -a "report" -d 'Write a run as one self-contained HTML page, for sharing'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from eval" -f -a "list" -d 'Eval runs, newest first'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from eval" -f -a "compare" -d 'Two runs (two candidates) over the same leads'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "list" -d 'Every tenant: portals, mode, workflows, drafts waiting, dead letters, last submission'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from tenants" -f -a "show" -d 'One tenant in full, with its connectors and credential sources'
complete -c salesagent -n "__fish_salesagent_using_subcommand help; and __fish_seen_subcommand_from privacy" -f -a "erase" -d 'Erase every trace of these addresses: rows, mail files, Gmail drafts, the HubSpot contact'
