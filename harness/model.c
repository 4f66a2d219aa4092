/* model.c - see model.h. */
#include "model.h"

#include <string.h>

static const struct model_info models[NIC_MODEL_COUNT] = {
	/* QEMU's rtl8139 is a C+ chip: Linux binds 8139cp (max_mtu 4096) */
	[NIC_RTL8139] = { "rtl8139", "rtl8139", "rtl8139", "8139cp", 4096 },
	[NIC_E1000] = { "e1000", "e1000", "e1000", "e1000", 16110 },
	[NIC_VIRTIO] = { "virtio", "virtio", "virtio-net-pci", "virtio_net",
			 65535 },
};

const struct model_info *model_info(enum nic_model m)
{
	if ((int)m < 0 || m >= NIC_MODEL_COUNT)
		return NULL;
	return &models[m];
}

int model_from_name(const char *name)
{
	for (int m = 0; m < NIC_MODEL_COUNT; m++)
		if (!strcmp(name, models[m].name))
			return m;
	return -1;
}

const char *model_name(enum nic_model m)
{
	const struct model_info *i = model_info(m);

	return i ? i->name : NULL;
}

const char *nic_model_libvirt(enum nic_model m)
{
	const struct model_info *i = model_info(m);

	return i ? i->libvirt : NULL;
}
