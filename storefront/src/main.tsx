// The storefront's entry: routes at / (react-router), server state through TanStack Query. Every page
// is its own chunk; the one the page was opened on starts downloading at once, beside the shell.
import { StrictMode, Suspense, lazy } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { SoukProblemError } from './api.ts';
import { loadPlatform, type StorefrontTheme } from './platform.ts';
import { ShopProvider } from './shop.tsx';
import { Layout, PageOff } from './components/Layout.tsx';
import './style.css';

const pages = {
  home: () => import('./pages/Home.tsx'),
  search: () => import('./pages/Search.tsx'),
  product: () => import('./pages/Product.tsx'),
  cart: () => import('./pages/Cart.tsx'),
  checkout: () => import('./pages/Checkout.tsx'),
  order: () => import('./pages/OrderStatus.tsx'),
  account: () => import('./pages/Account.tsx'),
  flashSales: () => import('./pages/FlashSales.tsx'),
  live: () => import('./pages/Live.tsx'),
  coins: () => import('./pages/Coins.tsx'),
};
const opening = location.pathname.split('/')[1] ?? '';
const first = { '': pages.home, search: pages.search, p: pages.product, cart: pages.cart, checkout: pages.checkout, orders: pages.order, account: pages.account, 'flash-sales': pages.flashSales, live: pages.live, coins: pages.coins }[opening];
void first?.();

const Home = lazy(pages.home);
const Search = lazy(pages.search);
const Product = lazy(pages.product);
const CartPage = lazy(pages.cart);
const Checkout = lazy(pages.checkout);
const OrderStatus = lazy(pages.order);
const Account = lazy(pages.account);
const FlashSales = lazy(pages.flashSales);
const Live = lazy(pages.live);
const Coins = lazy(pages.coins);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      // A refusal (404, 401, 422) will not change on a retry.
      retry: (count, error) => !(error instanceof SoukProblemError && error.status < 500) && count < 2,
    },
  },
});

function App({ pagesOn }: { pagesOn: StorefrontTheme['pages'] }) {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Home />} />
        <Route path="search" element={pagesOn.search ? <Search /> : <PageOff />} />
        <Route path="p/:handle" element={<Product />} />
        <Route path="cart" element={<CartPage />} />
        <Route path="checkout" element={<Checkout />} />
        <Route path="orders/:orderId" element={<OrderStatus />} />
        <Route path="account/*" element={pagesOn.account ? <Account /> : <PageOff />} />
        <Route path="flash-sales/:saleId?" element={pagesOn.flashSales ? <FlashSales /> : <PageOff />} />
        <Route path="live/:roomId?" element={pagesOn.live ? <Live /> : <PageOff />} />
        <Route path="coins" element={pagesOn.live ? <Coins /> : <PageOff />} />
        <Route path="*" element={<PageOff notFound />} />
      </Route>
    </Routes>
  );
}

const platform = await loadPlatform();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ShopProvider platform={platform}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <Suspense>
            <App pagesOn={platform.storefront.pages} />
          </Suspense>
        </BrowserRouter>
      </QueryClientProvider>
    </ShopProvider>
  </StrictMode>,
);
