# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_e2eb_global_optspecs
    string join \n h/help V/version
end

function __fish_e2eb_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_e2eb_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_e2eb_using_subcommand
    set -l cmd (__fish_e2eb_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c e2eb -n "__fish_e2eb_needs_command" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_needs_command" -s V -l version -d 'Print version'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "keygen" -d 'Generate a new recovery key (64 hex digits in 16 groups of 4)'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "encrypt" -d 'Encrypt data into a backup'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "decrypt" -d 'Decrypt a backup with a recovery key or a password'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "inspect" -d 'Show a backup\'s header and sizes; needs no secret'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "tune" -d 'Find the password KDF setting that takes a target time on this machine'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "bench" -d 'Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "whatsapp" -d 'WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "vault" -d 'The key vault\'s account of a backup\'s vault slot: check it, or delete it'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "completions" -d 'Print a shell\'s completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`'
complete -c e2eb -n "__fish_e2eb_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e2eb -n "__fish_e2eb_using_subcommand keygen" -s o -l output -d 'Write the key to FILE (mode 0600) instead of stdout' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand keygen" -l force -d 'Replace FILE if it exists (the key it holds is lost)'
complete -c e2eb -n "__fish_e2eb_using_subcommand keygen" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -s o -l output -d 'Where the backup goes; `-`: stdout, which is also the default (but never a terminal)' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l recovery-key-file -d 'Add a slot opened by the recovery key in FILE (see `e2eb keygen`)' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l password-file -d 'Add a slot opened by the password on the first line of FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l kdf -d 'KDF of the password slots [default: argon2id]' -r -f -a "argon2id\t''
scrypt\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l kdf-params -d 'KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l vault -d 'Register the password at the key vault at URL and add a vault slot in place of a password slot (https://, or http:// to a loopback address)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l vault-ca -d 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web\'s roots' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l suite -d 'Cipher suite' -r -f -a "aes-256-gcm\t''
chacha20-poly1305\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l threads -d 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l backend -d 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs' -r -f -a "auto\t''
rustcrypto\t''
ring\t''
aws-lc\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l password -d 'Add a slot opened by a password typed on the terminal (asked twice)'
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l accept-weak-kdf -d 'Make the backup even with --kdf-params below OWASP\'s minimum: each password guess then costs an attacker who has the backup less, so a weak password falls faster'
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -l force -d 'Replace OUT if it exists (it is replaced only once the new one is complete)'
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -s q -l quiet -d 'Show no progress bar'
complete -c e2eb -n "__fish_e2eb_using_subcommand encrypt" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -s o -l output -d 'Where the decrypted data goes; `-`: stdout. A new file gets mode 0600. Without -o: stdout, unless it is a terminal' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l recovery-key-file -d 'Open with the recovery key in FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l password-file -d 'Open with the password on the first line of FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l vault -d 'Open the backup\'s vault slot: log in to the key vault at URL with the password' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l vault-ca -d 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web\'s roots' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-kdf-memory -d 'Most memory one KDF run may take, e.g. 512MiB, 8GiB' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-argon2-t -d 'Most argon2id passes (t)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-argon2-p -d 'Most argon2id lanes (p)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-scrypt-log-n -d 'Largest scrypt log2 N' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-scrypt-r -d 'Largest scrypt block size r' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-scrypt-p -d 'Largest scrypt parallelism p' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-kdf-work -d 'Most work one KDF run may ask, memory × passes, e.g. 16GiB' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-backup-kdf-work -d 'Most work all the password slots of the backup may ask together, e.g. 32GiB' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l max-password-slots -d 'Most password slots (distinct KDF runs) a backup may ask to try' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l threads -d 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l backend -d 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs' -r -f -a "auto\t''
rustcrypto\t''
ring\t''
aws-lc\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l recovery-key -d 'Open with a recovery key typed on the terminal'
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l password -d 'Open with a password typed on the terminal'
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -l force -d 'Replace OUT if it exists (it is replaced only once the new one is complete)'
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -s q -l quiet -d 'Show no progress bar'
complete -c e2eb -n "__fish_e2eb_using_subcommand decrypt" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand inspect" -l json -d 'Print one JSON object instead of text (fields: see --help)'
complete -c e2eb -n "__fish_e2eb_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -l kdf -d 'KDF to tune' -r -f -a "argon2id\t''
scrypt\t''
both\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -l target-ms -d 'Wall time one derivation should take, in milliseconds' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -l max-memory -d 'Most memory a setting may use, e.g. 512MiB, 1GiB [default: the smaller of 1 GiB and half of the available memory]' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -l lanes -d 'Argon2id lanes (p), the threads one derivation runs on, written into the backup\'s key slot [default: the CPUs, at most 4]' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -l usd-per-gpu-hour -d 'Rental price of the attacker\'s GPU in US dollars per hour' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -l json -d 'Print one JSON object instead of text (fields: see --help)'
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -s q -l quiet -d 'Show no progress on stderr'
complete -c e2eb -n "__fish_e2eb_using_subcommand tune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -l profile -d 'How much to measure: tiny takes seconds (a smoke test), quick a few minutes on two cores, full longer' -r -f -a "tiny\t'CI smoke test: every code path, minimal sizes and samples'
quick\t'The default'
full\t'More sizes, settings and samples'"
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -s o -l output -d 'Write the run file to FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -l host -d 'The host\'s name in reports/ (lower-case letters, digits and dashes) [default: derived from the CPU model, threads and memory]' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -l note -d 'A note to record with the run, e.g. how a device was simulated (repeatable)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -l force -d 'Replace FILE if it exists (it is replaced only once the new one is complete)'
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -s q -l quiet -d 'Show no progress on stderr'
complete -c e2eb -n "__fish_e2eb_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and not __fish_seen_subcommand_from decrypt convert inspect help" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and not __fish_seen_subcommand_from decrypt convert inspect help" -f -a "decrypt" -d 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and not __fish_seen_subcommand_from decrypt convert inspect help" -f -a "convert" -d 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and not __fish_seen_subcommand_from decrypt convert inspect help" -f -a "inspect" -d 'Show a crypt15 backup\'s prefix, sizes and MD5 trailer; needs no key'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and not __fish_seen_subcommand_from decrypt convert inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from decrypt" -s o -l output -d 'Where the database goes; `-`: stdout. A new file gets mode 0600' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from decrypt" -l key-file -d 'The key: encrypted_backup.key, or a text file with the 64-digit key' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from decrypt" -l force -d 'Replace OUT if it exists (it is replaced only once the new one is complete)'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from decrypt" -l unverified-stream -d 'When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the backup\'s only authentication tag (at its end) is checked, instead of holding it back until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the stream before e2eb reports the damage. Only for a consumer that discards everything when e2eb exits non-zero'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from decrypt" -s q -l quiet -d 'Show no progress bar'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from decrypt" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l key-file -d 'The crypt15 key: encrypted_backup.key, or a text file with the 64-digit key' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l recovery-key-file -d 'Add a slot opened by the recovery key in FILE (see `e2eb keygen`)' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l password-file -d 'Add a slot opened by the password on the first line of FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l kdf -d 'KDF of the password slots [default: argon2id]' -r -f -a "argon2id\t''
scrypt\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l kdf-params -d 'KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l vault -d 'Register the password at the key vault at URL and add a vault slot in place of a password slot (https://, or http:// to a loopback address)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l vault-ca -d 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web\'s roots' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l suite -d 'Cipher suite' -r -f -a "aes-256-gcm\t''
chacha20-poly1305\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l threads -d 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l backend -d 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs' -r -f -a "auto\t''
rustcrypto\t''
ring\t''
aws-lc\t''"
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -s o -l output -d 'Where the e2eb backup goes; `-`: stdout (never a terminal)' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l unverified-stream -d 'When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the backup\'s only authentication tag (at its end) is checked, instead of holding it back until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the stream before e2eb reports the damage. Only for a consumer that discards everything when e2eb exits non-zero'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l password -d 'Add a slot opened by a password typed on the terminal (asked twice)'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l accept-weak-kdf -d 'Make the backup even with --kdf-params below OWASP\'s minimum: each password guess then costs an attacker who has the backup less, so a weak password falls faster'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -l force -d 'Replace OUT if it exists (it is replaced only once the new one is complete)'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -s q -l quiet -d 'Show no progress bar'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from convert" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from inspect" -l json -d 'Print one JSON object instead of text'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from help" -f -a "decrypt" -d 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from help" -f -a "convert" -d 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Show a crypt15 backup\'s prefix, sizes and MD5 trailer; needs no key'
complete -c e2eb -n "__fish_e2eb_using_subcommand whatsapp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and not __fish_seen_subcommand_from status delete help" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and not __fish_seen_subcommand_from status delete help" -f -a "status" -d 'Log in to the vault of a backup\'s vault slot and show its attempts (a correct password resets them; a wrong one costs one)'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and not __fish_seen_subcommand_from status delete help" -f -a "delete" -d 'Log in and delete the account of a backup\'s vault slot: the vault slot then never opens again, and only the backup\'s other slots do'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and not __fish_seen_subcommand_from status delete help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from status" -l vault -d 'The key vault\'s URL (https://, or http:// to a loopback address)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from status" -l vault-ca -d 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web\'s roots' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from status" -l password-file -d 'The account\'s password, on the first line of FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from status" -l password -d 'The account\'s password, typed on the terminal'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from delete" -l vault -d 'The key vault\'s URL (https://, or http:// to a loopback address)' -r
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from delete" -l vault-ca -d 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web\'s roots' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from delete" -l password-file -d 'The account\'s password, on the first line of FILE' -r -F
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from delete" -l password -d 'The account\'s password, typed on the terminal'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "status" -d 'Log in to the vault of a backup\'s vault slot and show its attempts (a correct password resets them; a wrong one costs one)'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Log in and delete the account of a backup\'s vault slot: the vault slot then never opens again, and only the backup\'s other slots do'
complete -c e2eb -n "__fish_e2eb_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e2eb -n "__fish_e2eb_using_subcommand completions" -s h -l help -d 'Print help'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "keygen" -d 'Generate a new recovery key (64 hex digits in 16 groups of 4)'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "encrypt" -d 'Encrypt data into a backup'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "decrypt" -d 'Decrypt a backup with a recovery key or a password'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "inspect" -d 'Show a backup\'s header and sizes; needs no secret'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "tune" -d 'Find the password KDF setting that takes a target time on this machine'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "bench" -d 'Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "whatsapp" -d 'WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "vault" -d 'The key vault\'s account of a backup\'s vault slot: check it, or delete it'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "completions" -d 'Print a shell\'s completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and not __fish_seen_subcommand_from keygen encrypt decrypt inspect tune bench whatsapp vault completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and __fish_seen_subcommand_from whatsapp" -f -a "decrypt" -d 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and __fish_seen_subcommand_from whatsapp" -f -a "convert" -d 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and __fish_seen_subcommand_from whatsapp" -f -a "inspect" -d 'Show a crypt15 backup\'s prefix, sizes and MD5 trailer; needs no key'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "status" -d 'Log in to the vault of a backup\'s vault slot and show its attempts (a correct password resets them; a wrong one costs one)'
complete -c e2eb -n "__fish_e2eb_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "delete" -d 'Log in and delete the account of a backup\'s vault slot: the vault slot then never opens again, and only the backup\'s other slots do'
