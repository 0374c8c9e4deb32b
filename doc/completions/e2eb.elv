
use builtin;
use str;

set edit:completion:arg-completer[e2eb] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'e2eb'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'e2eb'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand keygen 'Generate a new recovery key (64 hex digits in 16 groups of 4)'
            cand encrypt 'Encrypt data into a backup'
            cand decrypt 'Decrypt a backup with a recovery key or a password'
            cand inspect 'Show a backup''s header and sizes; needs no secret'
            cand tune 'Find the password KDF setting that takes a target time on this machine'
            cand bench 'Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file'
            cand whatsapp 'WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect'
            cand vault 'The key vault''s account of a backup''s vault slot: check it, or delete it'
            cand completions 'Print a shell''s completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e2eb;keygen'= {
            cand -o 'Write the key to FILE (mode 0600) instead of stdout'
            cand --output 'Write the key to FILE (mode 0600) instead of stdout'
            cand --force 'Replace FILE if it exists (the key it holds is lost)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;encrypt'= {
            cand -o 'Where the backup goes; `-`: stdout, which is also the default (but never a terminal)'
            cand --output 'Where the backup goes; `-`: stdout, which is also the default (but never a terminal)'
            cand --recovery-key-file 'Add a slot opened by the recovery key in FILE (see `e2eb keygen`)'
            cand --password-file 'Add a slot opened by the password on the first line of FILE'
            cand --kdf 'KDF of the password slots [default: argon2id]'
            cand --kdf-params 'KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)'
            cand --vault 'Register the password at the key vault at URL and add a vault slot in place of a password slot (https://, or http:// to a loopback address)'
            cand --vault-ca 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots'
            cand --suite 'Cipher suite'
            cand --threads 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down'
            cand --backend 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs'
            cand --password 'Add a slot opened by a password typed on the terminal (asked twice)'
            cand --accept-weak-kdf 'Make the backup even with --kdf-params below OWASP''s minimum: each password guess then costs an attacker who has the backup less, so a weak password falls faster'
            cand --force 'Replace OUT if it exists (it is replaced only once the new one is complete)'
            cand -q 'Show no progress bar'
            cand --quiet 'Show no progress bar'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;decrypt'= {
            cand -o 'Where the decrypted data goes; `-`: stdout. A new file gets mode 0600. Without -o: stdout, unless it is a terminal'
            cand --output 'Where the decrypted data goes; `-`: stdout. A new file gets mode 0600. Without -o: stdout, unless it is a terminal'
            cand --recovery-key-file 'Open with the recovery key in FILE'
            cand --password-file 'Open with the password on the first line of FILE'
            cand --vault 'Open the backup''s vault slot: log in to the key vault at URL with the password'
            cand --vault-ca 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots'
            cand --max-kdf-memory 'Most memory one KDF run may take, e.g. 512MiB, 8GiB'
            cand --max-argon2-t 'Most argon2id passes (t)'
            cand --max-argon2-p 'Most argon2id lanes (p)'
            cand --max-scrypt-log-n 'Largest scrypt log2 N'
            cand --max-scrypt-r 'Largest scrypt block size r'
            cand --max-scrypt-p 'Largest scrypt parallelism p'
            cand --max-kdf-work 'Most work one KDF run may ask, memory × passes, e.g. 16GiB'
            cand --max-backup-kdf-work 'Most work all the password slots of the backup may ask together, e.g. 32GiB'
            cand --max-password-slots 'Most password slots (distinct KDF runs) a backup may ask to try'
            cand --threads 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down'
            cand --backend 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs'
            cand --recovery-key 'Open with a recovery key typed on the terminal'
            cand --password 'Open with a password typed on the terminal'
            cand --force 'Replace OUT if it exists (it is replaced only once the new one is complete)'
            cand -q 'Show no progress bar'
            cand --quiet 'Show no progress bar'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;inspect'= {
            cand --json 'Print one JSON object instead of text (fields: see --help)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e2eb;tune'= {
            cand --kdf 'KDF to tune'
            cand --target-ms 'Wall time one derivation should take, in milliseconds'
            cand --max-memory 'Most memory a setting may use, e.g. 512MiB, 1GiB [default: the smaller of 1 GiB and half of the available memory]'
            cand --lanes 'Argon2id lanes (p), the threads one derivation runs on, written into the backup''s key slot [default: the CPUs, at most 4]'
            cand --usd-per-gpu-hour 'Rental price of the attacker''s GPU in US dollars per hour'
            cand --json 'Print one JSON object instead of text (fields: see --help)'
            cand -q 'Show no progress on stderr'
            cand --quiet 'Show no progress on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e2eb;bench'= {
            cand --profile 'How much to measure: tiny takes seconds (a smoke test), quick a few minutes on two cores, full longer'
            cand -o 'Write the run file to FILE'
            cand --output 'Write the run file to FILE'
            cand --host 'The host''s name in reports/ (lower-case letters, digits and dashes) [default: derived from the CPU model, threads and memory]'
            cand --note 'A note to record with the run, e.g. how a device was simulated (repeatable)'
            cand --force 'Replace FILE if it exists (it is replaced only once the new one is complete)'
            cand -q 'Show no progress on stderr'
            cand --quiet 'Show no progress on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e2eb;whatsapp'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand decrypt 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds'
            cand convert 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk'
            cand inspect 'Show a crypt15 backup''s prefix, sizes and MD5 trailer; needs no key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e2eb;whatsapp;decrypt'= {
            cand -o 'Where the database goes; `-`: stdout. A new file gets mode 0600'
            cand --output 'Where the database goes; `-`: stdout. A new file gets mode 0600'
            cand --key-file 'The key: encrypted_backup.key, or a text file with the 64-digit key'
            cand --force 'Replace OUT if it exists (it is replaced only once the new one is complete)'
            cand --unverified-stream 'When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the backup''s only authentication tag (at its end) is checked, instead of holding it back until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the stream before e2eb reports the damage. Only for a consumer that discards everything when e2eb exits non-zero'
            cand -q 'Show no progress bar'
            cand --quiet 'Show no progress bar'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;whatsapp;convert'= {
            cand --key-file 'The crypt15 key: encrypted_backup.key, or a text file with the 64-digit key'
            cand --recovery-key-file 'Add a slot opened by the recovery key in FILE (see `e2eb keygen`)'
            cand --password-file 'Add a slot opened by the password on the first line of FILE'
            cand --kdf 'KDF of the password slots [default: argon2id]'
            cand --kdf-params 'KDF parameters: m=65536,t=3,p=4 (argon2id; m in KiB, or m=64MiB) or ln=17,r=8,p=1 (scrypt)'
            cand --vault 'Register the password at the key vault at URL and add a vault slot in place of a password slot (https://, or http:// to a loopback address)'
            cand --vault-ca 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots'
            cand --suite 'Cipher suite'
            cand --threads 'Worker threads that seal or open chunks; 0 means one per CPU. More than the CPUs only slows the run down'
            cand --backend 'AEAD implementation; auto: the fastest this build has (aws-lc, then ring, then rustcrypto). Backups are the same bytes whichever runs'
            cand -o 'Where the e2eb backup goes; `-`: stdout (never a terminal)'
            cand --output 'Where the e2eb backup goes; `-`: stdout (never a terminal)'
            cand --unverified-stream 'When OUT is a stream (stdout, a pipe): send data into it as it is decrypted, before the backup''s only authentication tag (at its end) is checked, instead of holding it back until then. RISK: a tampered backup then delivers attacker-chosen data (in a ZIP archive: chosen file names, such as ../../.ssh/authorized_keys) to the reader of the stream before e2eb reports the damage. Only for a consumer that discards everything when e2eb exits non-zero'
            cand --password 'Add a slot opened by a password typed on the terminal (asked twice)'
            cand --accept-weak-kdf 'Make the backup even with --kdf-params below OWASP''s minimum: each password guess then costs an attacker who has the backup less, so a weak password falls faster'
            cand --force 'Replace OUT if it exists (it is replaced only once the new one is complete)'
            cand -q 'Show no progress bar'
            cand --quiet 'Show no progress bar'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;whatsapp;inspect'= {
            cand --json 'Print one JSON object instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;whatsapp;help'= {
            cand decrypt 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds'
            cand convert 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk'
            cand inspect 'Show a crypt15 backup''s prefix, sizes and MD5 trailer; needs no key'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e2eb;whatsapp;help;decrypt'= {
        }
        &'e2eb;whatsapp;help;convert'= {
        }
        &'e2eb;whatsapp;help;inspect'= {
        }
        &'e2eb;whatsapp;help;help'= {
        }
        &'e2eb;vault'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand status 'Log in to the vault of a backup''s vault slot and show its attempts (a correct password resets them; a wrong one costs one)'
            cand delete 'Log in and delete the account of a backup''s vault slot: the vault slot then never opens again, and only the backup''s other slots do'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e2eb;vault;status'= {
            cand --vault 'The key vault''s URL (https://, or http:// to a loopback address)'
            cand --vault-ca 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots'
            cand --password-file 'The account''s password, on the first line of FILE'
            cand --password 'The account''s password, typed on the terminal'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;vault;delete'= {
            cand --vault 'The key vault''s URL (https://, or http:// to a loopback address)'
            cand --vault-ca 'PEM file of the CA (or self-signed certificate) to trust for the vault instead of the web''s roots'
            cand --password-file 'The account''s password, on the first line of FILE'
            cand --password 'The account''s password, typed on the terminal'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;vault;help'= {
            cand status 'Log in to the vault of a backup''s vault slot and show its attempts (a correct password resets them; a wrong one costs one)'
            cand delete 'Log in and delete the account of a backup''s vault slot: the vault slot then never opens again, and only the backup''s other slots do'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e2eb;vault;help;status'= {
        }
        &'e2eb;vault;help;delete'= {
        }
        &'e2eb;vault;help;help'= {
        }
        &'e2eb;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e2eb;help'= {
            cand keygen 'Generate a new recovery key (64 hex digits in 16 groups of 4)'
            cand encrypt 'Encrypt data into a backup'
            cand decrypt 'Decrypt a backup with a recovery key or a password'
            cand inspect 'Show a backup''s header and sizes; needs no secret'
            cand tune 'Find the password KDF setting that takes a target time on this machine'
            cand bench 'Measure this device (ciphers, backup stream, password KDFs) into a benchmark run file'
            cand whatsapp 'WhatsApp crypt15 backups: decrypt with the 64-digit key, convert to e2eb, inspect'
            cand vault 'The key vault''s account of a backup''s vault slot: check it, or delete it'
            cand completions 'Print a shell''s completion script, e.g. `e2eb completions bash > /etc/bash_completion.d/e2eb`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e2eb;help;keygen'= {
        }
        &'e2eb;help;encrypt'= {
        }
        &'e2eb;help;decrypt'= {
        }
        &'e2eb;help;inspect'= {
        }
        &'e2eb;help;tune'= {
        }
        &'e2eb;help;bench'= {
        }
        &'e2eb;help;whatsapp'= {
            cand decrypt 'Decrypt a crypt15 backup (e.g. msgstore.db.crypt15) into the database it holds'
            cand convert 'Turn a crypt15 backup into an e2eb backup, streaming: no plaintext reaches the disk'
            cand inspect 'Show a crypt15 backup''s prefix, sizes and MD5 trailer; needs no key'
        }
        &'e2eb;help;whatsapp;decrypt'= {
        }
        &'e2eb;help;whatsapp;convert'= {
        }
        &'e2eb;help;whatsapp;inspect'= {
        }
        &'e2eb;help;vault'= {
            cand status 'Log in to the vault of a backup''s vault slot and show its attempts (a correct password resets them; a wrong one costs one)'
            cand delete 'Log in and delete the account of a backup''s vault slot: the vault slot then never opens again, and only the backup''s other slots do'
        }
        &'e2eb;help;vault;status'= {
        }
        &'e2eb;help;vault;delete'= {
        }
        &'e2eb;help;completions'= {
        }
        &'e2eb;help;help'= {
        }
    ]
    $completions[$command]
}
