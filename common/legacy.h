/* legacy.h - the option loop lessons used before kit_main(). TEMPORARY:
 * removed once every lesson declares its parts for kit_main(). */
#ifndef KIT_LEGACY_H
#define KIT_LEGACY_H
#include "kit.h"
#define KIT_SHORTOPTS "hqw:n:"
#define KIT_LONGOPTS                                                          \
    {"help", no_argument, NULL, 'h'}, {"quick", no_argument, NULL, 'q'},      \
        {"workers", required_argument, NULL, 'w'},                            \
        {"count", required_argument, NULL, 'n'}
struct kit_old_args {
    bool quick;
    long workers, workers_min, workers_max;
    long count, count_min, count_max;
};
bool kit_common_opt(int opt, struct kit_old_args *args);
void kit_no_operands(int argc, char *const argv[]);
#define kit_wait_timeout kit_join
#endif
