/* placeholder */ typedef int mip_placeholder_encap;
