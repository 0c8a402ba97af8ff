/* legacy.c - see legacy.h. TEMPORARY. */
#include "legacy.h"

#include <stdio.h>
#include <stdlib.h>

extern const char *kit_usage_text(void);

bool kit_common_opt(int opt, struct kit_old_args *args)
{
    switch (opt) {
    case 'h':
        fputs(kit_usage_text(), stdout);
        exit(EXIT_SUCCESS);
    case 'q':
        args->quick = true;
        kit_set_quick(true);
        return true;
    case 'w':
        args->workers = kit_parse_long("--workers", optarg, args->workers_min,
                                       args->workers_max);
        return true;
    case 'n':
        args->count = kit_parse_long("--count", optarg, args->count_min, args->count_max);
        return true;
    case '?':
        fputs(kit_usage_text(), stderr);
        exit(2);
    default:
        return false;
    }
}

void kit_no_operands(int argc, char *const argv[])
{
    if (optind < argc)
        kit_usage_error("unexpected argument '%s'", argv[optind]);
}
