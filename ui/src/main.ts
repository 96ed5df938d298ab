import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { i18n } from './lib/i18n.svelte';
import { theme } from './lib/theme.svelte';

document.documentElement.dataset.theme = theme.current;
document.documentElement.lang = i18n.locale;

// ?lang=en&theme=light: lets screenshots and demos pick both without clicking.
const query = new URLSearchParams(window.location.search);
const lang = query.get('lang');
if (lang === 'en' || lang === 'zh-CN') i18n.set(lang);
const wanted = query.get('theme');
if (wanted === 'dark' || wanted === 'light') theme.set(wanted);

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target });
