/* Rewrite the process title in place (the argv area) and the kernel's
 * command name, so ps shows the role of each tsd process. */

#include <string.h>
#include <sys/prctl.h>

#include "tsd/proctitle.h"

static char *title_area;
static size_t title_size;

void proctitle_init(int argc, char **argv)
{
	int i;

	if (argc < 1 || argv[0] == NULL)
		return;
	title_area = argv[0];
	/* Only the contiguous argument strings; the environment stays intact. */
	for (i = 0; i < argc && argv[i] != NULL; i++) {
		if (argv[i] != title_area + title_size && i > 0)
			break;
		title_size = (size_t)(argv[i] - title_area) + strlen(argv[i]) + 1;
	}
}

void proctitle_set(const char *title)
{
	size_t len = strlen(title);

	prctl(PR_SET_NAME, title, 0, 0, 0);
	if (title_area == NULL || title_size < 2)
		return;
	if (len > title_size - 1)
		len = title_size - 1;
	memset(title_area, 0, title_size);
	memcpy(title_area, title, len);
}
